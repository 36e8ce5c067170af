package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/berth-dev/berth/internal/store/pgtest"
)

// TestLockExcludesAnotherServer: a lock taken through one store keeps another store
// of the same schema waiting until it is given back; a wait given up leaves nothing
// held; other names and other schemas are not held up.
func TestLockExcludesAnotherServer(t *testing.T) {
	t.Parallel()
	url := pgtest.URL(t)
	one, two := openURL(t, url), openURL(t, url)
	unlock, err := one.Lock(t.Context(), "opsjob-create")
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	if _, err := two.Lock(short, "opsjob-create"); err == nil || !errors.Is(short.Err(), context.DeadlineExceeded) {
		t.Fatalf("a second server took a held lock: %v", err)
	}
	other, err := two.Lock(t.Context(), "another-name")
	if err != nil {
		t.Fatalf("a lock of another name: %v", err)
	}
	other()
	elsewhere, err := openURL(t, pgtest.URL(t)).Lock(t.Context(), "opsjob-create")
	if err != nil {
		t.Fatalf("the lock of another schema: %v", err)
	}
	elsewhere()

	got := make(chan error, 1)
	go func() {
		unlockTwo, err := two.Lock(t.Context(), "opsjob-create")
		if err == nil {
			unlockTwo()
		}
		got <- err
	}()
	unlock()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("the second server's lock once given back: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the second server did not get the lock within 20 s of its release")
	}
}
