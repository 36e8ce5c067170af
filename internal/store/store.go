// Package store is the single source of truth of Berth: the interface every storage
// driver implements, the sentinel errors drivers translate their failures into, and
// the list parameters of the API. Drivers live in sqlite/ and postgres/; storetest
// holds the conformance suite they all pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/workload"
)

// Sentinel errors. Drivers wrap their library errors into these at the edge.
var (
	// ErrNotFound: no such row (or the workload is deleted, for WorkloadGet).
	ErrNotFound = errors.New("not found")
	// ErrConflict: a stale version on update, or a duplicate id on insert.
	ErrConflict = errors.New("conflict")
)

// Waker is an optional extra of a store several servers share (PostgreSQL): a server
// that wrote wakes the others' control loops at once, instead of leaving them to poll.
type Waker interface {
	// Wake tells every listening server that something changed.
	Wake(ctx context.Context) error
	// Listen calls woken for every Wake until ctx ends (nil) or it fails.
	Listen(ctx context.Context, woken func()) error
}

// Locker is an optional extra of a store several servers share (PostgreSQL): named
// locks that every server of the store sees, for checks that must not race with
// another server's insert.
type Locker interface {
	// Lock takes the named lock, waiting until it is free, ctx ends or a bound of
	// the store's passes; unlock gives it back.
	Lock(ctx context.Context, name string) (unlock func(), err error)
}

// Store is everything Berth keeps. Every method is safe for concurrent use.
type Store interface {
	WorkloadStore
	InventoryStore
	AuthStore
	LeaseStore
	OpsJobStore
	WorkloadEventStore
	WorkloadObjectStore
	Close() error
}

// LeaseStore lets the servers sharing a database agree on the one that runs the
// control loops. Expiry is judged by the database's clock, not the servers'.
type LeaseStore interface {
	// LeaseAcquire takes the named lease for holder, or renews it, until ttl from now.
	// It returns false, changing nothing, while another holder's lease runs.
	LeaseAcquire(ctx context.Context, name, holder string, ttl time.Duration) (bool, error)
	// LeaseRelease gives the lease up if holder has it, so another may take it at once.
	LeaseRelease(ctx context.Context, name, holder string) error
}

// WorkloadStore keeps workloads.
type WorkloadStore interface {
	// WorkloadInsert stores a new workload with Version 1; a taken id is ErrConflict.
	WorkloadInsert(ctx context.Context, w *workload.Workload) error
	// WorkloadGet returns a workload that is not deleted.
	WorkloadGet(ctx context.Context, id string) (*workload.Workload, error)
	// WorkloadGetAny returns a workload, deleted or not.
	WorkloadGetAny(ctx context.Context, id string) (*workload.Workload, error)
	// WorkloadList returns one page of the workloads matching p and how many match in all.
	WorkloadList(ctx context.Context, p WorkloadListParams) ([]*workload.Workload, int, error)
	// WorkloadListLive returns every workload whose live state has not been released
	// (Status.Released is false), deleted or not, in creation order: what the control
	// loops work on. A deleted workload stays live until its pods are gone.
	WorkloadListLive(ctx context.Context) ([]*workload.Workload, error)
	// WorkloadUpdate writes w if its Version is the stored one, then increments
	// w.Version; otherwise it returns ErrConflict and changes nothing.
	WorkloadUpdate(ctx context.Context, w *workload.Workload) error
	// WorkloadChangesSince is the change feed: the workloads written (inserted or
	// updated) after change number seq, oldest write first, each in its latest state,
	// and the change number to pass next time. Seq 0 reads from the beginning; a long
	// backlog comes a page at a time.
	WorkloadChangesSince(ctx context.Context, seq int64) ([]*workload.Workload, int64, error)
}

// WorkloadListParams filters, sorts and pages a workload list. Empty fields do not filter.
type WorkloadListParams struct {
	Workspace   string
	Cluster     string
	UserID      string
	UserName    string   // substring
	Phases      []string // any of
	Kinds       []string // any of
	Description string   // substring
	WorkloadID  string   // substring
	// ScaleRunnerSet filters on env SCALE_RUNNER_SET_ID.
	ScaleRunnerSet string
	Since, Until   time.Time
	Offset, Limit  int
	// SortBy is one of the WorkloadSort* names; "" sorts by creation time.
	SortBy string
	Asc    bool
}

// Sortable workload columns, by the names the API accepts (matched case-insensitively).
var WorkloadSortColumns = []string{
	"creationTime", "priority", "phase", "startTime", "endTime", "displayName",
	"userName", "queuePosition", "dispatchCount", "workloadId",
}

// InventoryStore keeps clusters, nodes, workspaces and secrets.
type InventoryStore interface {
	// InventoryChange returns a number that grows with every write or delete of a node
	// or workspace, so a reader knows when to read them again.
	InventoryChange(ctx context.Context) (int64, error)

	ClusterPut(ctx context.Context, c *inventory.Cluster) error
	ClusterInsert(ctx context.Context, c *inventory.Cluster) error
	ClusterDelete(ctx context.Context, id string) error
	ClusterGet(ctx context.Context, id string) (*inventory.Cluster, error)
	ClusterList(ctx context.Context) ([]*inventory.Cluster, error)

	// NodePut inserts or replaces a node (version-checked when Version > 0).
	NodePut(ctx context.Context, n *inventory.Node) error
	NodeGet(ctx context.Context, id string) (*inventory.Node, error)
	NodeList(ctx context.Context) ([]*inventory.Node, error)
	NodeDelete(ctx context.Context, id string) error

	WorkspaceInsert(ctx context.Context, w *inventory.Workspace) error
	WorkspaceGet(ctx context.Context, id string) (*inventory.Workspace, error)
	WorkspaceList(ctx context.Context) ([]*inventory.Workspace, error)
	WorkspaceUpdate(ctx context.Context, w *inventory.Workspace) error
	WorkspaceDelete(ctx context.Context, id string) error

	SecretInsert(ctx context.Context, s *inventory.Secret) error
	SecretGet(ctx context.Context, id string) (*inventory.Secret, error)
	SecretList(ctx context.Context) ([]*inventory.Secret, error)
	SecretUpdate(ctx context.Context, s *inventory.Secret) error
	SecretDelete(ctx context.Context, id string) error
}

// AuthStore keeps users, API keys, revoked login tokens and SSH keys.
type AuthStore interface {
	UserInsert(ctx context.Context, u *auth.User) error
	UserGet(ctx context.Context, id string) (*auth.User, error)
	UserGetByName(ctx context.Context, name string) (*auth.User, error)
	UserList(ctx context.Context) ([]*auth.User, error)
	UserUpdate(ctx context.Context, u *auth.User) error
	UserDelete(ctx context.Context, id string) error

	APIKeyInsert(ctx context.Context, k *auth.APIKey) error
	APIKeyGetByHash(ctx context.Context, hash string) (*auth.APIKey, error)
	APIKeyListByUser(ctx context.Context, userID string) ([]*auth.APIKey, error)
	APIKeyDelete(ctx context.Context, id string) error

	// TokenRevoke records a login token as revoked until it expires, and forgets
	// the revoked tokens that have expired by p.Now. Revoking twice is no error.
	TokenRevoke(ctx context.Context, p TokenRevokeParams) error
	// TokenRevoked reports whether the login token with the id was revoked.
	TokenRevoked(ctx context.Context, id string) (bool, error)

	PublicKeyStore
}

// PublicKeyStore keeps users' SSH public keys and the SSH server's host key.
type PublicKeyStore interface {
	// PublicKeyInsert stores a new key with Version 1; a taken id is ErrConflict.
	PublicKeyInsert(ctx context.Context, k *auth.PublicKey) error
	PublicKeyGet(ctx context.Context, id string) (*auth.PublicKey, error)
	// PublicKeyList returns the keys of the user (every user's for "") by id.
	PublicKeyList(ctx context.Context, userID string) ([]*auth.PublicKey, error)
	// PublicKeyUpdate writes k if its Version is the stored one, then increments it.
	PublicKeyUpdate(ctx context.Context, k *auth.PublicKey) error
	PublicKeyDelete(ctx context.Context, id string) error

	// HostKeyInsert stores a host key; a taken id is ErrConflict (another server
	// stored its key first: read that one).
	HostKeyInsert(ctx context.Context, k *auth.HostKey) error
	HostKeyGet(ctx context.Context, id string) (*auth.HostKey, error)
}

// TokenRevokeParams names a login token to revoke.
type TokenRevokeParams struct {
	ID     string    // auth.TokenID of the token
	Expire time.Time // when the token expires anyway
	Now    time.Time
}
