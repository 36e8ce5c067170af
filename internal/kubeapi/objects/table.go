package objects

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Table shows objects of one kind, or lists of them, as the rows of `kubectl get`.
type Table[T Object] struct {
	Columns []metav1.TableColumnDefinition
	// Row is the cells of obj, one per column.
	Row func(obj T) []any
}

// ConvertToTable turns an object or a list of them into a table.
func (t Table[T]) ConvertToTable(_ context.Context, obj runtime.Object, _ runtime.Object) (*metav1.Table, error) {
	table := &metav1.Table{ColumnDefinitions: t.Columns}
	items := []runtime.Object{obj}
	if m, err := meta.ListAccessor(obj); err == nil {
		table.ResourceVersion, table.Continue, table.RemainingItemCount = m.GetResourceVersion(), m.GetContinue(), m.GetRemainingItemCount()
		if items, err = meta.ExtractList(obj); err != nil {
			return nil, err
		}
	} else if m, err := meta.CommonAccessor(obj); err == nil {
		table.ResourceVersion = m.GetResourceVersion()
	}
	for _, item := range items {
		o, ok := item.(T)
		if !ok {
			return nil, fmt.Errorf("a table of %T: not of this kind", item)
		}
		table.Rows = append(table.Rows, metav1.TableRow{Cells: t.Row(o), Object: runtime.RawExtension{Object: o}})
	}
	return table, nil
}

// Age is how kubectl shows the time since t.
func Age(t metav1.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(time.Since(t.Time))
}
