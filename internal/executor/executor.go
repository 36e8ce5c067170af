// Package executor runs commands on nodes for ops jobs: on this host directly, on
// registered machines over SSH (host keys pinned on first contact). The Executor
// interface is the seam; Local and SSH implement it.
package executor

import (
	"context"
	"errors"
)

// ErrUnreachable means the node did not answer (connection refused, timed out, host
// key changed): for a reboot, the node is not back yet.
var ErrUnreachable = errors.New("executor: node unreachable")

// Target is a node as the executor reaches it.
type Target struct {
	Node string
	// Address is host:port of its SSH server ("" for this host).
	Address string
	User    string
	// Password or PrivateKey (PEM) authenticate; one of them is set for SSH.
	Password   string
	PrivateKey []byte
	// HostKey is the pinned SSH host key (authorized_keys format); "" on first contact.
	HostKey string
}

// Result is how a command ended.
type Result struct {
	ExitCode int
	// Output is stdout and stderr together, cut to its last 64 KiB.
	Output string
	// HostKey is the host key the node presented (to pin on first contact).
	HostKey string
}

// Executor runs a shell script on a node.
type Executor interface {
	// Run runs script with /bin/sh on the target and waits for it. A script that ran
	// and failed is a Result with a non-zero ExitCode, not an error; an error means it
	// could not be run (ErrUnreachable among others).
	Run(ctx context.Context, t Target, script string) (Result, error)
}
