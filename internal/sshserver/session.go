package sshserver

import (
	"context"
	"fmt"

	"golang.org/x/crypto/ssh"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/runtime"
)

// session is one SSH session channel: its requests set up a terminal, then start
// one shell, command or subsystem in the pod.
type session struct {
	srv        *Server
	caller     *auth.User
	target     target
	workloadID string
	ch         ssh.Channel
	resize     chan runtime.TermSize
	req        runtime.ExecRequest
	started    bool
}

// The payloads of the session requests served (RFC 4254 §6).
type (
	ptyRequest struct {
		Term                      string
		Cols, Rows, Width, Height uint32
		Modes                     string
	}
	windowChange struct {
		Cols, Rows, Width, Height uint32
	}
	execRequest struct {
		Command string
	}
	subsystemRequest struct {
		Name string
	}
	exitStatus struct {
		Status uint32
	}
)

// serve answers the channel's requests until it closes; closing it ends what runs.
func (ss *session) serve(ctx context.Context, reqs <-chan *ssh.Request) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for r := range reqs {
		ok := ss.handle(ctx, r)
		if r.WantReply {
			_ = r.Reply(ok, nil)
		}
	}
}

// handle serves one request and reports whether it was accepted.
func (ss *session) handle(ctx context.Context, r *ssh.Request) bool {
	switch r.Type {
	case "pty-req":
		var p ptyRequest
		if ss.started || ssh.Unmarshal(r.Payload, &p) != nil {
			return false
		}
		ss.req.TTY, ss.req.Size = true, termSize(p.Cols, p.Rows)
		ss.req.Env = map[string]string{"TERM": p.Term}
		return true
	case "window-change":
		var w windowChange
		if ssh.Unmarshal(r.Payload, &w) == nil {
			ss.resizeTo(termSize(w.Cols, w.Rows))
		}
		return true
	case "shell":
		return ss.start(ctx, ss.target.command("-l"))
	case "exec":
		var e execRequest
		if ssh.Unmarshal(r.Payload, &e) != nil {
			return false
		}
		return ss.start(ctx, ss.target.command("-c", e.Command))
	case "subsystem":
		var s subsystemRequest
		if ssh.Unmarshal(r.Payload, &s) != nil || s.Name != "sftp" {
			return false
		}
		ss.req.SFTP = true
		return ss.start(ctx, nil)
	}
	return false
}

func termSize(cols, rows uint32) runtime.TermSize {
	return runtime.TermSize{Cols: uint16(min(cols, 1<<16-1)), Rows: uint16(min(rows, 1<<16-1))}
}

// resizeTo passes the newest size on, dropping one not taken yet.
func (ss *session) resizeTo(size runtime.TermSize) {
	select {
	case <-ss.resize:
	default:
	}
	ss.resize <- size
}

// start runs command (or the SFTP server) once per session, in the background.
func (ss *session) start(ctx context.Context, command []string) bool {
	if ss.started {
		return false
	}
	ss.started = true
	req := ss.req
	req.Command, req.Container, req.Resize = command, ss.target.container, ss.resize
	req.Stdin, req.Stdout, req.Stderr = ss.ch, ss.ch, ss.ch.Stderr()
	go ss.run(ctx, req)
	return true
}

// run runs the request in the pod, then sends its exit status and closes the channel.
func (ss *session) run(ctx context.Context, req runtime.ExecRequest) {
	defer ss.ch.Close()
	code, err := ss.srv.Svc.PodExec(ctx, ss.caller, "ssh", ss.workloadID, ss.target.podID, req)
	if err != nil {
		fmt.Fprintf(ss.ch.Stderr(), "berth: %v\r\n", err)
		code = 1
	}
	_ = ss.ch.CloseWrite()
	_, _ = ss.ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{Status: uint32(code)}))
}
