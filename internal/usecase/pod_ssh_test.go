package usecase

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/workload"
)

// TestPodSSH: running pods show how the caller logs in, in seed 000's form, with the
// port when it is not 22; other pods, and every pod without an SSH server, show none.
func TestPodSSH(t *testing.T) {
	t.Parallel()
	w := &workload.Workload{ID: "dev-x"}
	w.Spec.Workspace = "ws1"
	w.Spec.GroupVersionKind.Kind = apiv1.KindAuthoring
	caller := &auth.User{ID: "u1"}
	pods := func() []apiv1.WorkloadPod {
		return []apiv1.WorkloadPod{{PodID: "dev-x-master-0", Phase: workload.PodRunning}, {PodID: "dev-x-worker-0", Phase: workload.PodPending}}
	}
	tests := []struct {
		name      string
		ssh       *SSHEndpoint
		addr, cmd string
		envs      apiv1.Envs
	}{
		{"no SSH server", nil, "", "", apiv1.Envs{EnableLog: true}},
		{"port 2222", &SSHEndpoint{Host: "10.0.0.1", Port: 2222}, "ssh u1.dev-x-master-0.ws1@10.0.0.1 -p 2222",
			"ssh -p 2222 u1.dev-x-master-0.main.bash@10.0.0.1", apiv1.Envs{EnableLog: true, EnableSSH: true, SSHIP: "10.0.0.1", SSHPort: 2222}},
		{"port 22", &SSHEndpoint{Host: "berth", Port: 22}, "ssh u1.dev-x-master-0.ws1@berth",
			"ssh -p 22 u1.dev-x-master-0.main.bash@berth", apiv1.Envs{EnableLog: true, EnableSSH: true, SSHIP: "berth", SSHPort: 22}},
	}
	for _, tc := range tests {
		s := &Service{SSH: tc.ssh}
		d := apiv1.WorkloadDetail{Pods: pods()}
		s.podSSH(&d, caller, w)
		want := pods()
		want[0].SSHAddr, want[0].SSHCommand = tc.addr, tc.cmd
		if diff := cmp.Diff(want, d.Pods); diff != "" {
			t.Errorf("%s: pods (-want +got):\n%s", tc.name, diff)
		}
		if diff := cmp.Diff(tc.envs, s.Envs()); diff != "" {
			t.Errorf("%s: envs (-want +got):\n%s", tc.name, diff)
		}
	}
}
