package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/berth-dev/berth/internal/store"
)

// listenRetry is how long a server waits before listening again after the database
// connection it listened on failed.
const listenRetry = time.Second

// wakeAcross returns what wakes the control loops after an API write when several
// servers share the store: local wakes this server's loops, and every server hears
// of it through w at once (the leader would otherwise find the write at its next
// poll). Both goroutines end with ctx.
func wakeAcross(ctx context.Context, w store.Waker, local func(), log *slog.Logger) func() {
	go func() {
		retry := time.NewTicker(listenRetry)
		defer retry.Stop()
		for {
			if err := w.Listen(ctx, local); err != nil && ctx.Err() == nil {
				log.Warn("listen for other servers' writes", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-retry.C:
			}
		}
	}()
	pending := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-pending:
				if err := w.Wake(ctx); err != nil && ctx.Err() == nil {
					log.Warn("wake the other servers", "err", err)
				}
			}
		}
	}()
	return func() {
		local()
		select {
		case pending <- struct{}{}:
		default: // a wake is on its way: it covers this write too
		}
	}
}
