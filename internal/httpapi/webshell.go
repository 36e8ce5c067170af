package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/runtime"
)

// resizePrefix starts the text message by which a web shell's client resizes its
// terminal: "RESIZE <cols> <rows>", as the reference's client sends it.
const resizePrefix = "RESIZE "

// webShell serves GET .../workloads/{id}/pods/{podId}/webshell: a shell in the pod
// on a terminal, over a WebSocket. Its messages are what is typed (text or binary)
// and resizes; the terminal's output comes back as text messages. Errors found
// before the upgrade answer in the API's format; the WebSocket takes requests from
// the API's own origin only.
func (a *API) webShell(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	caller, err := a.authenticate(r)
	if err != nil {
		writeError(w, r, err)
		return
	}
	id, podID := r.PathValue("id"), r.PathValue("podId")
	req, err := a.svc.WebShell(ctx, caller, id, podID, r.URL.Query())
	if err != nil {
		writeError(w, r, err)
		return
	}
	// The server's read and write timeouts are for requests, not for a session.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return // Accept answered
	}
	defer conn.CloseNow()
	a.runWebShell(ctx, conn, caller, id, podID, req)
}

// runWebShell runs the session on conn until the shell exits or the client leaves.
func (a *API) runWebShell(ctx context.Context, conn *websocket.Conn, caller *auth.User, id, podID string, req runtime.ExecRequest) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stdin, typed := io.Pipe()
	resize := make(chan runtime.TermSize, 1)
	go func() {
		readTyped(ctx, conn, typed, resize)
		cancel() // the client left: end the shell
	}()
	out := &textWriter{ctx: ctx, conn: conn}
	req.Stdin, req.Stdout, req.Stderr, req.Resize = stdin, out, out, resize
	code, err := a.svc.PodExec(ctx, caller, "webshell", id, podID, req)
	if err != nil {
		_, _ = out.Write([]byte("berth: " + err.Error() + "\r\n"))
		_ = conn.Close(websocket.StatusInternalError, "the shell could not run")
		return
	}
	_ = out.flush()
	_ = conn.Close(websocket.StatusNormalClosure, fmt.Sprintf("exit status %d", code))
}

// readTyped passes the client's messages on: resizes to resize, the rest to typed.
func readTyped(ctx context.Context, conn *websocket.Conn, typed *io.PipeWriter, resize chan runtime.TermSize) {
	defer typed.Close()
	for {
		kind, data, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if kind == websocket.MessageText && bytes.HasPrefix(data, []byte(resizePrefix)) {
			var size runtime.TermSize
			if _, err := fmt.Sscanf(string(data), resizePrefix+"%d %d", &size.Cols, &size.Rows); err == nil {
				select { // the newest size wins
				case <-resize:
				default:
				}
				resize <- size
			}
			continue
		}
		if _, err := typed.Write(data); err != nil {
			return
		}
	}
}

// textWriter sends what the terminal writes as text messages: valid UTF-8, a
// character split between two writes held back until it is whole.
type textWriter struct {
	ctx   context.Context
	conn  *websocket.Conn
	carry []byte
}

func (t *textWriter) Write(p []byte) (int, error) {
	data := append(t.carry, p...)
	cut := len(data)
	// Hold back the start of a character the next write completes.
	for i := len(data) - 1; i >= 0 && i >= len(data)-utf8.UTFMax+1; i-- {
		if utf8.RuneStart(data[i]) {
			if !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	t.carry = append([]byte(nil), data[cut:]...)
	if cut == 0 {
		return len(p), nil
	}
	text := strings.ToValidUTF8(string(data[:cut]), "\uFFFD")
	if err := t.conn.Write(t.ctx, websocket.MessageText, []byte(text)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// flush sends what was held back, made valid.
func (t *textWriter) flush() error {
	if len(t.carry) == 0 {
		return nil
	}
	text := strings.ToValidUTF8(string(t.carry), "\uFFFD")
	t.carry = nil
	return t.conn.Write(t.ctx, websocket.MessageText, []byte(text))
}
