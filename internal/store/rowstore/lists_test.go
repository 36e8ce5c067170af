package rowstore

import (
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/store"
)

// Every name the API accepts maps to a column, and only those.
func TestWorkloadSortColumns(t *testing.T) {
	t.Parallel()
	if len(workloadSortColumns) != len(store.WorkloadSortColumns) {
		t.Errorf("%d sort columns mapped, store has %d", len(workloadSortColumns), len(store.WorkloadSortColumns))
	}
	for _, name := range store.WorkloadSortColumns {
		if _, ok := workloadSortColumns[strings.ToLower(name)]; !ok {
			t.Errorf("sort column %q has no column", name)
		}
	}
}
