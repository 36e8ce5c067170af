package activity

import (
	"sync"
	"testing"
	"time"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestOpenSessionIsActivityNow(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	r := New(c.now)
	if got := r.Last("dev"); !got.IsZero() {
		t.Fatalf("Last of an unknown workload = %v, want zero", got)
	}
	done := r.Open("dev")
	c.add(time.Hour)
	if got := r.Last("dev"); !got.Equal(c.now()) {
		t.Errorf("Last with a session open = %v, want now %v", got, c.now())
	}
	second := r.Open("dev")
	done()
	done() // a second call changes nothing: the other session is still open
	c.add(time.Minute)
	if got := r.Last("dev"); !got.Equal(c.now()) {
		t.Errorf("Last with one of two sessions open = %v, want now", got)
	}
	second()
	closed := c.now()
	c.add(time.Hour)
	if got := r.Last("dev"); !got.Equal(closed) {
		t.Errorf("Last after the sessions closed = %v, want their end %v", got, closed)
	}
	if got := r.Last("other"); !got.IsZero() {
		t.Errorf("another workload's activity = %v, want zero", got)
	}
}

func TestTouchAndForget(t *testing.T) {
	t.Parallel()
	c := &clock{t: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	r := New(c.now)
	r.Touch("dev")
	touched := c.now()
	c.add(time.Minute)
	if got := r.Last("dev"); !got.Equal(touched) {
		t.Errorf("Last after Touch = %v, want %v", got, touched)
	}
	r.Forget("dev")
	if got := r.Last("dev"); !got.IsZero() {
		t.Errorf("Last after Forget = %v, want zero", got)
	}
}

// TestNilRecorder: a nil recorder records nothing and never fails its callers.
func TestNilRecorder(t *testing.T) {
	t.Parallel()
	var r *Recorder
	done := r.Open("dev")
	r.Touch("dev")
	done()
	r.Forget("dev")
	if got := r.Last("dev"); !got.IsZero() {
		t.Errorf("Last of a nil recorder = %v, want zero", got)
	}
}

// TestConcurrentSessions: sessions opened and closed from many goroutines leave
// none open (run with -race).
func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	r := New(nil)
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			done := r.Open("dev")
			r.Touch("dev")
			done()
		})
	}
	wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := r.open["dev"]; n != 0 {
		t.Errorf("%d sessions left open", n)
	}
}
