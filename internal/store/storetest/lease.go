package storetest

import (
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store"
)

var leaseTests = []test{
	{"AcquireRenewRelease", testLease},
	{"Expiry", testLeaseExpiry},
}

func acquire(t *testing.T, s store.Store, holder string, ttl time.Duration) bool {
	t.Helper()
	ok, err := s.LeaseAcquire(t.Context(), "control", holder, ttl)
	must(t, "LeaseAcquire", err)
	return ok
}

func testLease(t *testing.T, s store.Store) {
	if !acquire(t, s, "a", time.Minute) {
		t.Fatal("a could not take a free lease")
	}
	if !acquire(t, s, "a", time.Minute) {
		t.Error("a could not renew its own lease")
	}
	if acquire(t, s, "b", time.Minute) {
		t.Error("b took a lease a holds")
	}
	must(t, "LeaseRelease by b", s.LeaseRelease(t.Context(), "control", "b"))
	if acquire(t, s, "b", time.Minute) {
		t.Error("b's release of a's lease freed it")
	}
	must(t, "LeaseRelease", s.LeaseRelease(t.Context(), "control", "a"))
	if !acquire(t, s, "b", time.Minute) {
		t.Error("b could not take the lease a released")
	}
	ok, err := s.LeaseAcquire(t.Context(), "other", "a", time.Minute)
	must(t, "LeaseAcquire other", err)
	if !ok {
		t.Error("leases of other names are independent")
	}
}

func testLeaseExpiry(t *testing.T, s store.Store) {
	if !acquire(t, s, "a", time.Millisecond) {
		t.Fatal("a could not take a free lease")
	}
	deadline := time.Now().Add(5 * time.Second)
	for !acquire(t, s, "b", time.Minute) {
		if time.Now().After(deadline) {
			t.Fatal("b never took the lease after a's expired")
		}
	}
	if acquire(t, s, "a", time.Minute) {
		t.Error("a took back a lease b holds")
	}
}
