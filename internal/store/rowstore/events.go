package rowstore

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// The workload change log: workload_events, written by the triggers of the
// workloads table (migration 0007), and the counter of the newest event trimmed.
const (
	eventHeadSQL    = "SELECT value FROM change_counters WHERE name = 'workloads'"
	eventTrimmedSQL = "SELECT value FROM change_counters WHERE name = 'workload_events_trimmed'"
	eventListSQL    = "SELECT seq, version, data, prev_data FROM workload_events WHERE seq > $1 ORDER BY seq LIMIT $2"
)

// WorkloadEventHead returns the number of the newest write of a workload.
func (e Entities) WorkloadEventHead(ctx context.Context) (int64, error) {
	head, err := scalar(ctx, e.E.Reader(), eventHeadSQL)
	if err != nil {
		return 0, fmt.Errorf("workload event head: %w", err)
	}
	return head, nil
}

// WorkloadEventList returns the events after p.After, oldest first, from one
// snapshot: the trimmed mark it checks p.After against is that of the rows it reads.
func (e Entities) WorkloadEventList(ctx context.Context, p store.WorkloadEventListParams) ([]store.WorkloadEvent, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = store.WorkloadEventLimitDefault
	}
	var events []store.WorkloadEvent
	err := e.E.Tx(ctx, true, func(tx Querier) error {
		trimmed, err := scalar(ctx, tx, eventTrimmedSQL)
		if err != nil {
			return err
		}
		if p.After < trimmed {
			return &store.GoneError{After: p.After, Trimmed: trimmed}
		}
		events, err = scanEvents(ctx, tx, p.After, limit)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("workload event list after %d: %w", p.After, err)
	}
	return events, nil
}

// scanEvents reads and decodes a page of events.
func scanEvents(ctx context.Context, tx Querier, after int64, limit int) ([]store.WorkloadEvent, error) {
	events := []store.WorkloadEvent{}
	err := tx.Query(ctx, eventListSQL, []any{after, limit}, func(scan func(...any) error) error {
		var (
			ev         store.WorkloadEvent
			version    int64
			data, prev []byte
		)
		if err := scan(&ev.Seq, &version, &data, &prev); err != nil {
			return err
		}
		var err error
		if ev.Workload, err = DecodeWorkload(version, data); err != nil {
			return err
		}
		if prev != nil {
			if ev.Previous, err = DecodeWorkload(version-1, prev); err != nil {
				return err
			}
		}
		events = append(events, ev)
		return nil
	})
	return events, err
}

// WorkloadEventTrim forgets the events older than p.MaxAge and all but the newest
// p.Keep, and moves the trimmed mark past them, in one transaction.
func (e Entities) WorkloadEventTrim(ctx context.Context, p store.WorkloadEventTrimParams) (int64, error) {
	var removed int64
	err := e.E.Tx(ctx, false, func(tx Querier) error {
		cut, err := e.trimCut(ctx, tx, p)
		if err != nil || cut == 0 {
			return err
		}
		if removed, err = tx.Exec(ctx, "DELETE FROM workload_events WHERE seq <= $1", cut); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, "UPDATE change_counters SET value = $1 WHERE name = 'workload_events_trimmed' AND value < $1", cut)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("workload event trim: %w", err)
	}
	return removed, nil
}

// trimCut is the newest event p lets go: the newest older than p.MaxAge, or the
// newest beyond the p.Keep newest, whichever is later (0: none).
func (e Entities) trimCut(ctx context.Context, tx Querier, p store.WorkloadEventTrimParams) (int64, error) {
	head, err := scalar(ctx, tx, eventHeadSQL)
	if err != nil {
		return 0, err
	}
	cut := max(head-max(p.Keep, 0), 0)
	if p.MaxAge > 0 {
		aged, err := scalar(ctx, tx, "SELECT COALESCE(MAX(seq), 0) FROM workload_events WHERE written_at < "+
			e.E.Dialect().UnixNow+" - $1", int64(p.MaxAge.Seconds()))
		if err != nil {
			return 0, err
		}
		cut = max(cut, aged)
	}
	return cut, nil
}

// WorkloadListAt returns every workload matching p's filters, oldest first, and the
// change number of the snapshot it read them from.
func (e Entities) WorkloadListAt(ctx context.Context, p store.WorkloadListParams) ([]*workload.Workload, int64, error) {
	f := e.workloadFilter(p)
	var (
		ws   []*workload.Workload
		head int64
	)
	err := e.E.Tx(ctx, true, func(tx Querier) error {
		var err error
		if head, err = scalar(ctx, tx, eventHeadSQL); err != nil {
			return err
		}
		ws, err = query(ctx, tx, workloadVersion, "select", "SELECT version, data FROM workloads WHERE "+f.where()+
			" ORDER BY creation_time NULLS FIRST, id", f.args...)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("workload list at: %w", err)
	}
	return ws, head, nil
}

// scalar runs a query of one integer.
func scalar(ctx context.Context, q Querier, sql string, args ...any) (int64, error) {
	var v int64
	err := q.Query(ctx, sql, args, func(scan func(...any) error) error { return scan(&v) })
	return v, err
}
