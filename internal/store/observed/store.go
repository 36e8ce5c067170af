// Package observed wraps a store.Store so that every operation reports how long it
// took, and whether it failed, to an Observer (the server's metrics). It changes
// nothing else: results and errors pass through untouched, and the optional
// interfaces of the wrapped store (store.Waker, store.Locker, store.WorkloadNotifier)
// stay visible to type assertions.
package observed

import (
	"time"

	"github.com/berth-dev/berth/internal/store"
)

// Observer is told of every store operation: its method name ("WorkloadGet"), how
// long it took, and its error (nil on success).
type Observer interface {
	ObserveStoreOp(op string, took time.Duration, err error)
}

// Store is a store.Store that reports its operations to an Observer.
type Store struct {
	inner store.Store
	obs   Observer
}

var _ store.Store = (*Store)(nil)

// shared is what a store shared by several servers (PostgreSQL) adds: wake-ups
// across servers, advisory locks and change notifications.
type shared interface {
	store.Waker
	store.Locker
	store.WorkloadNotifier
}

// sharedStore is a Store whose inner store is shared: the extras pass through
// untimed (they wait, by design).
type sharedStore struct {
	*Store
	shared
}

// New wraps inner. The result implements the optional interfaces inner implements,
// as a set: a store that has all of store.Waker, store.Locker and
// store.WorkloadNotifier keeps them, one with only some of them keeps none (no
// driver is so; the test of this package checks both drivers).
func New(inner store.Store, obs Observer) store.Store {
	s := &Store{inner: inner, obs: obs}
	if sh, ok := inner.(shared); ok {
		return sharedStore{Store: s, shared: sh}
	}
	return s
}

// Close closes the inner store.
func (s *Store) Close() error { return s.inner.Close() }

// observe reports the operation op that started at start and ended with *err.
func (s *Store) observe(op string, start time.Time, err *error) {
	s.obs.ObserveStoreOp(op, time.Since(start), *err)
}
