package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/berth-dev/berth/internal/controller"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/postgres"
	"github.com/berth-dev/berth/internal/store/sqlite"
)

// openStore opens the store --database names: SQLite in the data dir when empty (one
// server per data dir, held by a lock), PostgreSQL for a postgres:// URL (several
// servers may share it, and the data dir on one host).
func openStore(ctx context.Context, cfg Config) (store.Store, func(), error) {
	if cfg.Database != "" {
		if !strings.HasPrefix(cfg.Database, "postgres://") && !strings.HasPrefix(cfg.Database, "postgresql://") {
			return nil, nil, fmt.Errorf("--database: %q is not a PostgreSQL URL (postgres://user@host:port/db)", redact(cfg.Database))
		}
		st, err := postgres.Open(ctx, cfg.Database)
		if err != nil {
			return nil, nil, fmt.Errorf("--database %s: %w", redact(cfg.Database), err)
		}
		return st, func() { st.Close() }, nil
	}
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	path := filepath.Join(cfg.DataDir, "berth.db")
	if err := restrictDatabase(path); err != nil {
		unlock()
		return nil, nil, err
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return st, func() { st.Close(); unlock() }, nil
}

// restrictDatabase makes the SQLite database the server's alone: created 0600 before
// SQLite opens it, which gives its -wal and -shm files the same mode, and files of an
// older data dir made so.
func restrictDatabase(path string) error {
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("database: %w", err)
		}
	}
	return nil
}

// redact hides a password in a database URL before it is printed.
func redact(url string) string {
	at := strings.LastIndexByte(url, '@')
	scheme := strings.Index(url, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return url
	}
	if colon := strings.IndexByte(url[scheme+3:at], ':'); colon >= 0 {
		return url[:scheme+3+colon+1] + "xxx" + url[at:]
	}
	return url
}

// loopInterval is the longest wait between control cycles. With a shared database a
// request served by another server cannot wake the leader, so it looks more often.
func loopInterval(cfg Config) time.Duration {
	if cfg.Database != "" {
		return 250 * time.Millisecond
	}
	return controller.DefaultInterval
}

// holderName names this server in the control lease: host, pid and a random part
// with a shared database. With SQLite the data dir lock already makes this server the
// only one, so the name is fixed: a server restarted after a crash takes the lease
// back at once instead of waiting for its old lease to expire.
func holderName(cfg Config) string {
	if cfg.Database == "" {
		return "sqlite"
	}
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
}
