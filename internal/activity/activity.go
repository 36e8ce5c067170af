// Package activity records when people last used a dev machine through a shell. The
// SSH server and the web shell open a session on the recorder for as long as it
// lasts, and touch it as input arrives; the controller's idle culling reads it, an
// open session counting as activity now.
//
// A recorder lives in one server process: where several servers share a database,
// culling (on the leader) sees only the sessions the leader serves.
package activity

import (
	"sync"
	"time"
)

// Recorder keeps, per workload, how many shell sessions are open and when one was
// last used. It is safe for concurrent use; the zero value is not, use New. A nil
// Recorder records nothing, so a server without culling need not make one.
type Recorder struct {
	now  func() time.Time
	mu   sync.Mutex
	open map[string]int
	last map[string]time.Time
}

// New returns an empty recorder reading the clock now (time.Now when nil).
func New(now func() time.Time) *Recorder {
	if now == nil {
		now = time.Now
	}
	return &Recorder{now: now, open: map[string]int{}, last: map[string]time.Time{}}
}

// Open records that a session into the workload began; calling the returned func
// records that it ended (once, however often it is called).
func (r *Recorder) Open(workloadID string) (done func()) {
	if r == nil {
		return func() {}
	}
	r.mu.Lock()
	r.open[workloadID]++
	r.last[workloadID] = r.now()
	r.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.last[workloadID] = r.now()
			if r.open[workloadID]--; r.open[workloadID] <= 0 {
				delete(r.open, workloadID)
			}
		})
	}
}

// Touch records that the workload was used now (input on a session, a command run).
func (r *Recorder) Touch(workloadID string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last[workloadID] = r.now()
}

// Last returns when the workload was last used through a shell: now while a session
// is open, the zero time when none was ever recorded.
func (r *Recorder) Last(workloadID string) time.Time {
	if r == nil {
		return time.Time{}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.open[workloadID] > 0 {
		return r.now()
	}
	return r.last[workloadID]
}

// Forget drops what is known of a workload that is gone.
func (r *Recorder) Forget(workloadID string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.last, workloadID)
	delete(r.open, workloadID)
}
