package usecase

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/activity"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/scheduler"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/watch"
)

// Service carries out API requests over the store and the runtime.
type Service struct {
	Store   store.Store
	Runtime runtime.Runtime
	// ClusterHealth says why a cluster cannot run pods now, or nil (nil: every
	// cluster is Ready).
	ClusterHealth func(ctx context.Context, id string) error
	Keys          *auth.Keys
	// TokenTTL is how long a login token lasts (zero: DefaultTokenTTL).
	TokenTTL time.Duration
	// Now is the clock; tests may replace it.
	Now func() time.Time
	// Wake tells the control loops that something changed; it must not block.
	Wake func()
	// Explain asks the scheduler why a workload waits; ok is false when it does not
	// know the workload (it is not queued nor holding resources). Nil: only the
	// stored message.
	Explain func(id string) (e scheduler.Explanation, ok bool)
	// ArtifactPath finds the file of an ops job's artifact (nil: none are kept).
	ArtifactPath func(jobID, name string) (string, error)
	// Log takes what a request cannot report to its caller (nil: slog's default).
	Log *slog.Logger
	// Watch follows the workload change log for watches (nil: watches answer 501).
	Watch *watch.Hub
	// SSH is where the SSH server is reached (nil: there is none).
	SSH *SSHEndpoint
	// Activity records the shell sessions into dev machines (SSH, web shell), which
	// keep them from idle culling; the shells Open a session on it for as long as
	// it lasts (a nil recorder records nothing).
	Activity *activity.Recorder

	nodes nodeCache
	// opsJobCreate serializes this server's ops job creates (lockOpsJobCreate).
	opsJobCreate sync.Mutex
}

// nodeCache keeps the node list between writes to it: every create checks the
// request against the nodes, and a cluster has thousands.
type nodeCache struct {
	mu      sync.Mutex
	version int64 // store.InventoryChange when nodes was read
	nodes   []*inventory.Node
}

// nodeList returns every node, read again only when a node changed since last time.
func (s *Service) nodeList(ctx context.Context) ([]*inventory.Node, error) {
	v, err := s.Store.InventoryChange(ctx)
	if err != nil {
		return nil, err
	}
	c := &s.nodes
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nodes != nil && c.version == v {
		return c.nodes, nil
	}
	nodes, err := s.Store.NodeList(ctx)
	if err != nil {
		return nil, err
	}
	c.nodes, c.version = nodes, v
	return nodes, nil
}

func (s *Service) now() time.Time { return s.Now().UTC() }

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

func (s *Service) wake() {
	if s.Wake != nil {
		s.Wake()
	}
}

// workspaceIfAny loads the workspace a list query names: nil when it names none or
// one that does not exist.
func (s *Service) workspaceIfAny(ctx context.Context, id string) (*inventory.Workspace, error) {
	if id == "" {
		return nil, nil
	}
	ws, err := s.Store.WorkspaceGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	return ws, err
}

// workspace loads a workspace, answering 404 with the workspace code when missing.
func (s *Service) workspace(ctx context.Context, id string) (*inventory.Workspace, error) {
	ws, err := s.Store.WorkspaceGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, workspaceNotFound(id)
	}
	return ws, err
}
