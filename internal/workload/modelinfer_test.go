package workload

import (
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// inferPod is a pod template with one container asking for cpu and memory.
func inferPod(cpu string) apiv1.PodTemplateSpec {
	return apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{{
		Name: "main", Image: "busybox", Command: []string{"sh", "-c"}, Args: []string{"sleep 100"},
		Resources: apiv1.ResourceRequirements{Requests: map[string]string{"cpu": cpu, "memory": "1Gi"}},
		Ports:     []apiv1.ContainerPort{{Name: "http", ContainerPort: 8000}},
	}}}}
}

// validInfer is the proof's shape: 2 groups of prefill (1 entry + 1 worker) and decode
// (1 entry + 2 workers).
func validInfer() *apiv1.ModelInfer {
	worker := inferPod("2")
	return &apiv1.ModelInfer{
		APIVersion: apiv1.ModelInferAPIVersion, Kind: apiv1.KindModelInfer,
		Metadata: apiv1.ObjectMeta{Name: "llm", Namespace: "c1-team"},
		Spec: apiv1.ModelInferSpec{Replicas: new(2), Template: apiv1.InferGroup{Roles: []apiv1.Role{
			{Name: "prefill", EntryTemplate: inferPod("1"), WorkerReplicas: 1, WorkerTemplate: &worker},
			{Name: "decode", EntryTemplate: inferPod("1"), WorkerReplicas: 2, WorkerTemplate: &worker},
		}}},
	}
}

// TestApplyModelInferDefaults: the seed's defaults are filled and shown.
func TestApplyModelInferDefaults(t *testing.T) {
	t.Parallel()
	m := validInfer()
	m.Spec.Replicas = nil
	m.Spec.TopologySpreadConstraints = []apiv1.TopologySpreadConstraint{{MaxSkew: 1, TopologyKey: "zone"}}
	ApplyModelInferDefaults(&m.Spec)
	s := m.Spec
	got := []any{*s.Replicas, s.RecoveryPolicy, s.RolloutStrategy.Type, *s.RolloutStrategy.RollingUpdateConfiguration.MaxUnavailable,
		*s.RolloutStrategy.RollingUpdateConfiguration.MaxSurge, *s.RolloutStrategy.RollingUpdateConfiguration.Partition,
		*s.Template.RestartGracePeriodSeconds, *s.Template.Roles[0].Replicas, s.TopologySpreadConstraints[0].WhenUnsatisfiable,
		s.Template.Roles[0].EntryTemplate.Spec.Containers[0].Ports[0].Protocol}
	want := []any{1, "RoleRecreate", "InferGroupRollingUpdate", apiv1.IntOrString{IntVal: 1}, apiv1.IntOrString{}, 0,
		int64(0), 1, "DoNotSchedule", "TCP"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	if errs := ValidateModelInfer(m); errs != nil {
		t.Errorf("defaulted object: %v", errs)
	}
}

// TestValidateModelInfer: every rule of the seed, reported with its field path.
func TestValidateModelInfer(t *testing.T) {
	t.Parallel()
	pct := func(s string) *apiv1.IntOrString { return &apiv1.IntOrString{IsString: true, StrVal: s} }
	num := func(n int) *apiv1.IntOrString { return &apiv1.IntOrString{IntVal: n} }
	tests := []struct {
		name   string
		change func(m *apiv1.ModelInfer)
		want   []string // fields
	}{
		{"valid", func(*apiv1.ModelInfer) {}, nil},
		{"api version and kind", func(m *apiv1.ModelInfer) { m.APIVersion, m.Kind = "v1", "Deployment" }, []string{"apiVersion", "kind"}},
		{"no name", func(m *apiv1.ModelInfer) { m.Metadata.Name = "" }, []string{"metadata.name"}},
		{"bad name", func(m *apiv1.ModelInfer) { m.Metadata.Name = "LLM_1" }, []string{"metadata.name"}},
		{"no namespace", func(m *apiv1.ModelInfer) { m.Metadata.Namespace = "" }, []string{"metadata.namespace"}},
		{"label key", func(m *apiv1.ModelInfer) { m.Metadata.Labels = map[string]string{"-x": "1"} }, []string{"metadata.labels[-x]"}},
		{"negative replicas", func(m *apiv1.ModelInfer) { m.Spec.Replicas = new(-1) }, []string{"spec.replicas", "spec.rolloutStrategy.rollingUpdateConfiguration.partition"}},
		{"no roles", func(m *apiv1.ModelInfer) { m.Spec.Template.Roles = nil }, []string{"spec.template.roles"}},
		{"five roles", func(m *apiv1.ModelInfer) {
			r := m.Spec.Template.Roles[0]
			m.Spec.Template.Roles = nil
			for _, n := range []string{"a", "b", "c", "d", "e"} {
				r.Name = n
				m.Spec.Template.Roles = append(m.Spec.Template.Roles, r)
			}
		}, []string{"spec.template.roles"}},
		{"role names", func(m *apiv1.ModelInfer) {
			m.Spec.Template.Roles[0].Name = "prefill-long-1"
			m.Spec.Template.Roles[1].Name = "-x"
		}, []string{"spec.template.roles[0].name", "spec.template.roles[1].name"}},
		{"duplicate role", func(m *apiv1.ModelInfer) { m.Spec.Template.Roles[1].Name = "prefill" }, []string{"spec.template.roles[1].name"}},
		{"role replicas and workers", func(m *apiv1.ModelInfer) {
			m.Spec.Template.Roles[0].Replicas = new(-1)
			m.Spec.Template.Roles[0].WorkerReplicas = -1
		}, []string{"spec.template.roles[0].replicas", "spec.template.roles[0].workerReplicas"}},
		{"workers without template", func(m *apiv1.ModelInfer) { m.Spec.Template.Roles[1].WorkerTemplate = nil }, []string{"spec.template.roles[1].workerTemplate"}},
		{"recovery policy", func(m *apiv1.ModelInfer) { m.Spec.RecoveryPolicy = "Always" }, []string{"spec.recoveryPolicy"}},
		{"scheduler", func(m *apiv1.ModelInfer) { m.Spec.SchedulerName = "default-scheduler" }, []string{"spec.schedulerName"}},
		{"grace", func(m *apiv1.ModelInfer) { m.Spec.Template.RestartGracePeriodSeconds = new(int64(-1)) }, []string{"spec.template.restartGracePeriodSeconds"}},
		{"rollout type", func(m *apiv1.ModelInfer) { m.Spec.RolloutStrategy.Type = "Recreate" }, []string{"spec.rolloutStrategy.type"}},
		{"rollout bounds", func(m *apiv1.ModelInfer) {
			ru := m.Spec.RolloutStrategy.RollingUpdateConfiguration
			ru.MaxUnavailable, ru.MaxSurge, ru.Partition = pct("x%"), num(-1), new(3)
		}, []string{"spec.rolloutStrategy.rollingUpdateConfiguration.maxUnavailable",
			"spec.rolloutStrategy.rollingUpdateConfiguration.maxSurge",
			"spec.rolloutStrategy.rollingUpdateConfiguration.partition"}},
		{"rollout both zero", func(m *apiv1.ModelInfer) {
			ru := m.Spec.RolloutStrategy.RollingUpdateConfiguration
			ru.MaxUnavailable, ru.MaxSurge = pct("0%"), num(0)
		}, []string{"spec.rolloutStrategy.rollingUpdateConfiguration.maxUnavailable"}},
		{"rollout percent and partition at replicas", func(m *apiv1.ModelInfer) {
			ru := m.Spec.RolloutStrategy.RollingUpdateConfiguration
			ru.MaxUnavailable, ru.MaxSurge, ru.Partition = pct("50%"), pct("25%"), new(2)
		}, nil},
		{"min role replicas", func(m *apiv1.ModelInfer) {
			m.Spec.Template.GangSchedule = &apiv1.GangSchedule{MinRoleReplicas: map[string]int{"decode": 2, "nope": 1, "prefill": 1}}
		}, []string{"spec.template.gangSchedule.minRoleReplicas[decode]", "spec.template.gangSchedule.minRoleReplicas[nope]"}},
		{"network topology", func(m *apiv1.ModelInfer) {
			m.Spec.Template.GangSchedule = &apiv1.GangSchedule{NetworkTopology: &apiv1.NetworkTopologySpec{Mode: "strict", HighestTierAllowed: new(0)}}
		}, []string{"spec.template.gangSchedule.networkTopology.mode", "spec.template.gangSchedule.networkTopology.highestTierAllowed"}},
		{"spread", func(m *apiv1.ModelInfer) {
			m.Spec.TopologySpreadConstraints = []apiv1.TopologySpreadConstraint{{MaxSkew: 0, WhenUnsatisfiable: "Never",
				LabelSelector: &apiv1.LabelSelector{MatchExpressions: []apiv1.LabelSelectorRequirement{{Key: "a", Operator: "Gt"}}}}}
		}, []string{"spec.topologySpreadConstraints[0].maxSkew", "spec.topologySpreadConstraints[0].topologyKey",
			"spec.topologySpreadConstraints[0].whenUnsatisfiable", "spec.topologySpreadConstraints[0].labelSelector.matchExpressions[0].operator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := validInfer()
			ApplyModelInferDefaults(&m.Spec)
			tt.change(m)
			var got []string
			for _, e := range ValidateModelInfer(m) {
				got = append(got, e.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nerrors: %v", diff, ValidateModelInfer(m))
			}
		})
	}
}

// TestValidateInferPodTemplate: the container fields Berth runs are checked, each
// problem named by its path.
func TestValidateInferPodTemplate(t *testing.T) {
	t.Parallel()
	const c0 = "spec.template.roles[0].entryTemplate.spec.containers[0]"
	tests := []struct {
		name   string
		change func(c *apiv1.Container, s *apiv1.PodSpec)
		want   []string
	}{
		{"no containers", func(_ *apiv1.Container, s *apiv1.PodSpec) { s.Containers = nil }, []string{"spec.template.roles[0].entryTemplate.spec.containers"}},
		{"name and image", func(c *apiv1.Container, _ *apiv1.PodSpec) { c.Name, c.Image = "Main", "" }, []string{c0 + ".name", c0 + ".image"}},
		{"env", func(c *apiv1.Container, _ *apiv1.PodSpec) {
			c.Env = []apiv1.EnvVar{{Name: "1X"}, {Name: "A"}, {Name: "A"}}
		}, []string{c0 + ".env[0].name", c0 + ".env[2].name"}},
		{"resources", func(c *apiv1.Container, _ *apiv1.PodSpec) {
			c.Resources = apiv1.ResourceRequirements{
				Limits:   map[string]string{"cpu": "1", "nvidia.com/gpu": "0.5", "hugepages-2Mi": "1Gi"},
				Requests: map[string]string{"cpu": "2", "memory": "lots"},
			}
		}, []string{c0 + ".resources.limits[hugepages-2Mi]", c0 + ".resources.limits[nvidia.com/gpu]",
			c0 + ".resources.requests[memory]", c0 + ".resources.requests[cpu]"}},
		{"gpus", func(c *apiv1.Container, _ *apiv1.PodSpec) {
			c.Resources.Limits = map[string]string{"nvidia.com/gpu": "8"}
		}, nil},
		{"ports", func(c *apiv1.Container, _ *apiv1.PodSpec) {
			c.Ports = []apiv1.ContainerPort{{ContainerPort: 0, Protocol: "SCTP"}}
		}, []string{c0 + ".ports[0].containerPort", c0 + ".ports[0].protocol"}},
		{"probes", func(c *apiv1.Container, _ *apiv1.PodSpec) {
			c.ReadinessProbe = &apiv1.Probe{HTTPGet: &apiv1.HTTPGetAction{Path: "/health", Port: apiv1.IntOrString{IsString: true, StrVal: "http"}}}
			c.LivenessProbe = &apiv1.Probe{HTTPGet: &apiv1.HTTPGetAction{Port: apiv1.IntOrString{IsString: true, StrVal: "grpc"}}, PeriodSeconds: -1}
			c.StartupProbe = &apiv1.Probe{}
		}, []string{c0 + ".livenessProbe.httpGet.port", c0 + ".livenessProbe.periodSeconds", c0 + ".startupProbe.httpGet"}},
		{"no command", func(c *apiv1.Container, _ *apiv1.PodSpec) { c.Command, c.Args = nil, nil }, []string{c0 + ".command"}},
		{"two containers", func(c *apiv1.Container, s *apiv1.PodSpec) {
			side := *c
			side.Name = "side"
			s.Containers = append(s.Containers, side)
		}, []string{"spec.template.roles[0].entryTemplate.spec.containers"}},
		{"volumes", func(c *apiv1.Container, s *apiv1.PodSpec) {
			s.Volumes = []apiv1.Volume{
				{Name: "cache", EmptyDir: &apiv1.EmptyDirVolumeSource{SizeLimit: "10Gi"}},
				{Name: "models", HostPath: &apiv1.HostPathVolumeSource{Path: "models"}},
				{Name: "both", EmptyDir: &apiv1.EmptyDirVolumeSource{}, HostPath: &apiv1.HostPathVolumeSource{Path: "/x"}},
				{Name: "cache", EmptyDir: &apiv1.EmptyDirVolumeSource{}},
			}
			c.VolumeMounts = []apiv1.VolumeMount{{Name: "cache", MountPath: "/cache"}, {Name: "gone", MountPath: "rel"}}
		}, []string{"spec.template.roles[0].entryTemplate.spec.volumes[1].hostPath.path",
			"spec.template.roles[0].entryTemplate.spec.volumes[2]", "spec.template.roles[0].entryTemplate.spec.volumes[3].name",
			c0 + ".volumeMounts[1].name", c0 + ".volumeMounts[1].mountPath"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := validInfer()
			ApplyModelInferDefaults(&m.Spec)
			s := &m.Spec.Template.Roles[0].EntryTemplate.Spec
			tt.change(&s.Containers[0], s)
			var got []string
			for _, e := range ValidateModelInfer(m) {
				got = append(got, e.Field)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("fields (-want +got):\n%s\nerrors: %v", diff, ValidateModelInfer(m))
			}
		})
	}
}

// TestModelInferWorkloadSpec: the Berth workload of a ModelInfer counts every pod of
// every group and shows the largest pod's ask.
func TestModelInferWorkloadSpec(t *testing.T) {
	t.Parallel()
	m := validInfer()
	ApplyModelInferDefaults(&m.Spec)
	if got := GroupSize(&m.Spec); got != 5 {
		t.Errorf("GroupSize = %d, want 5 (prefill 1+1, decode 1+2)", got)
	}
	got := ModelInferWorkloadSpec("c1-team", &m.Spec)
	want := apiv1.WorkloadSpec{
		Workspace:        "c1-team",
		GroupVersionKind: apiv1.GroupVersionKind{Group: "workload.volcano.sh", Version: "v1alpha1", Kind: "ModelInfer"},
		Image:            "busybox", EntryPoint: "sh -c sleep 100",
		Resource: apiv1.WorkloadResource{Replica: 10, CPU: "2", Memory: "1Gi"},
		Service:  &apiv1.Service{Protocol: "TCP", Port: 8000, TargetPort: 8000, ServiceType: "ClusterIP"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("workload spec (-want +got):\n%s", diff)
	}
}

// TestInferPodAt: ranks go group by group, role by role, instance by instance, the
// entry pod before its workers; each pod's env says where it is.
func TestInferPodAt(t *testing.T) {
	t.Parallel()
	m := validInfer()
	ApplyModelInferDefaults(&m.Spec)
	var got []map[string]string
	for rank := range 11 {
		p, ok := InferPodAt(&m.Spec, rank)
		if !ok {
			got = append(got, nil)
			continue
		}
		env := p.Env()
		env["ENTRY_RANK"] = strconv.Itoa(p.EntryRank)
		got = append(got, env)
	}
	pod := func(group, role, idx, worker, size, entry string) map[string]string {
		env := map[string]string{"GROUP_INDEX": group, "ROLE": role, "ROLE_INDEX": idx, "GROUP_SIZE": size, "ENTRY_RANK": entry}
		if worker != "" {
			env["WORKER_INDEX"] = worker
		}
		return env
	}
	want := []map[string]string{
		pod("0", "prefill", "0", "", "2", "0"), pod("0", "prefill", "0", "0", "2", "0"),
		pod("0", "decode", "0", "", "3", "2"), pod("0", "decode", "0", "0", "3", "2"), pod("0", "decode", "0", "1", "3", "2"),
		pod("1", "prefill", "0", "", "2", "5"), pod("1", "prefill", "0", "0", "2", "5"),
		pod("1", "decode", "0", "", "3", "7"), pod("1", "decode", "0", "0", "3", "7"), pod("1", "decode", "0", "1", "3", "7"),
		nil,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("pods by rank (-want +got):\n%s", diff)
	}
	p, _ := InferPodAt(&m.Spec, 0)
	p.Template.Spec.Containers[0].Args = []string{"echo 'hi'"}
	if got, want := p.Command(), `'sh' '-c' 'echo '\''hi'\'''`; got != want {
		t.Errorf("Command = %s, want %s", got, want)
	}
}
