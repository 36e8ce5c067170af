package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockDataDir makes sure one server at a time uses a data dir: two would both run the
// control loops over the same pods. The lock goes with the process, even on kill -9.
// It is a POSIX record lock, which belongs to the process alone: a flock would belong
// to the open file, which a pod shim the server was forking when it was killed shares
// until it has exec'd, so the next server could find the data dir still locked.
func lockDataDir(dir string) (unlock func(), err error) {
	path := filepath.Join(dir, "lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	whole := syscall.Flock_t{Type: syscall.F_WRLCK} // Len 0: to the end of the file
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &whole); err != nil {
		f.Close()
		if errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EACCES) {
			return nil, fmt.Errorf("data dir %s is in use by another berth server", dir)
		}
		return nil, fmt.Errorf("lock data dir: %w", err)
	}
	return func() { f.Close() }, nil
}
