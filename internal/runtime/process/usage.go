package process

import (
	"context"
	"errors"
	"os"
	"time"

	"github.com/opencontainers/cgroups"
	"github.com/opencontainers/cgroups/fscommon"

	"github.com/berth-dev/berth/internal/runtime"
)

var _ runtime.UsageReader = (*Runtime)(nil)

// CPUUsage sums the CPU time the pods of the dispatch have used, as their cgroups
// count it; runtime.ErrUnsupported where its pods run without cgroups. A pod whose
// cgroup is gone (it ended) counts nothing.
func (r *Runtime) CPUUsage(ctx context.Context, ref runtime.Ref) (time.Duration, error) {
	if validName(ref.WorkloadID) != nil || ref.Dispatch < 1 {
		return 0, runtime.ErrNotFound
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	dirs, err := podDirs(r.dispatchDir(ref.WorkloadID, ref.Dispatch))
	if err != nil {
		return 0, err
	}
	var total time.Duration
	limited := false
	for _, dir := range dirs {
		spec, err := readSpec(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue // a Start that crashed before writing it
		}
		if err != nil {
			return 0, err
		}
		if len(spec.Cgroup) == 0 {
			continue
		}
		limited = true
		used, err := spec.Cgroup.cpuUsage()
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return 0, err
		}
		total += used
	}
	if !limited && len(dirs) > 0 {
		return 0, runtime.ErrUnsupported
	}
	return total, nil
}

// cpuUsage is the CPU time the processes of the cgroup have used: usage_usec of
// cpu.stat on cgroup v2, cpuacct.usage (nanoseconds) on v1.
func (cg podCgroup) cpuUsage() (time.Duration, error) {
	if cgroups.IsCgroup2UnifiedMode() {
		us, err := fscommon.GetValueByKey(cg[""], "cpu.stat", "usage_usec")
		return time.Duration(us) * time.Microsecond, err
	}
	ns, err := fscommon.GetCgroupParamUint(cg["cpuacct"], "cpuacct.usage")
	return time.Duration(ns), err
}
