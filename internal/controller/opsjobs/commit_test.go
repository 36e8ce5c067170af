package opsjobs

import (
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/workload"
)

// TestExportRunningDevMachineInHostFilesystemFails: a running dev machine's export
// commits its pod's changes; where its pod runs in the host's filesystem there are
// none to commit, and the job fails saying why rather than exporting the bare image.
func TestExportRunningDevMachineInHostFilesystemFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, func(c *Config) { c.Registry = "127.0.0.1:9" })
	wid := e.submit("dev", "", func(s *apiv1.WorkloadSpec) {
		s.GroupVersionKind.Kind, s.Image = apiv1.KindAuthoring, "127.0.0.1:9/team/dev:v1"
	})
	e.waitWorkload(wid, "Running", func(w *workload.Workload) bool { return w.Status.Phase == apiv1.PhaseRunning })
	j := e.waitEnded(e.insertJob(apiv1.OpsJobExportImage, func(j *opsjob.Job) {
		j.Inputs = []apiv1.Parameter{{Name: apiv1.InputWorkloadID, Value: wid}}
	}))
	msg := condMessage(j)
	if j.Status.Phase != apiv1.OpsJobFailed || !strings.Contains(msg, "cannot commit the changes of "+wid) ||
		!strings.Contains(msg, "--images pull") {
		t.Fatalf("job = %s; want Failed saying the pod's changes cannot be committed and why", describe(j, nil))
	}
}
