package executor

import "sync"

// MaxOutput is how much of a command's output a Result keeps: the last 64 KiB, where
// the reason a script failed usually is.
const MaxOutput = 64 << 10

// tailBuffer keeps the last MaxOutput bytes written to it. Stdout and stderr write to
// the same one, possibly at once, so it locks.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) >= MaxOutput {
		b.buf = append(b.buf[:0], p[len(p)-MaxOutput:]...)
		return n, nil
	}
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - MaxOutput; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return n, nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
