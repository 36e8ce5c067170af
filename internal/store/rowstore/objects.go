package rowstore

import (
	"context"
	"fmt"

	"github.com/berth-dev/berth/internal/store"
)

// WorkloadObjectList returns the workloads served as objects of p.Kind in
// p.Workspace, each with the change number of its newest write, and the head of
// the change log, from one snapshot.
func (e Entities) WorkloadObjectList(ctx context.Context, p store.WorkloadObjectListParams) ([]store.WorkloadObject, int64, error) {
	q := "SELECT seq, version, data FROM workloads WHERE object_kind = $1 AND object_name <> '' AND is_deleted = " + e.E.Dialect().False
	args := []any{p.Kind}
	if p.Workspace != "" {
		args = append(args, p.Workspace)
		q += fmt.Sprintf(" AND workspace = $%d", len(args))
	}
	if p.Name != "" {
		args = append(args, p.Name)
		q += fmt.Sprintf(" AND object_name = $%d", len(args))
	}
	q += " ORDER BY creation_time NULLS FIRST, id"
	var (
		out  []store.WorkloadObject
		head int64
	)
	err := e.E.Tx(ctx, true, func(tx Querier) error {
		var err error
		if head, err = scalar(ctx, tx, eventHeadSQL); err != nil {
			return err
		}
		out, err = scanObjects(ctx, tx, q, args)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("workload object list %s/%s: %w", p.Workspace, p.Kind, err)
	}
	return out, head, nil
}

// scanObjects reads and decodes the rows of a query of seq, version and data.
func scanObjects(ctx context.Context, tx Querier, q string, args []any) ([]store.WorkloadObject, error) {
	out := []store.WorkloadObject{}
	err := tx.Query(ctx, q, args, func(scan func(...any) error) error {
		var (
			o       store.WorkloadObject
			version int64
			data    []byte
		)
		if err := scan(&o.Seq, &version, &data); err != nil {
			return err
		}
		var err error
		o.Workload, err = DecodeWorkload(version, data)
		out = append(out, o)
		return err
	})
	return out, err
}
