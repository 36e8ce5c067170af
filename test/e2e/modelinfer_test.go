package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// inferRole is a role of 1 instance whose entry pod serves <group>-<role> at /name on
// port 8000 (ready once it does) and whose workers sleep until root/<pod>.crash
// exists, then fail; every pod writes its env to root/<pod>.env as it starts.
func inferRole(name, root, cpu string, workers int) apiv1.Role {
	dump := "env > " + root + "/$POD_NAME.env && "
	entry := dump + fmt.Sprintf("mkdir -p %[1]s/$POD_NAME && echo -n $GROUP_INDEX-$ROLE > %[1]s/$POD_NAME/name && "+
		"exec busybox httpd -f -p 8000 -h %[1]s/$POD_NAME", root)
	pod := func(script string, probe bool) apiv1.PodTemplateSpec {
		c := apiv1.Container{Name: "engine", Image: "docker.io/library/busybox:1.36", Command: []string{"sh", "-c", script},
			Resources: apiv1.ResourceRequirements{Requests: map[string]string{"cpu": cpu, "memory": "1Gi"}}}
		if probe {
			c.Ports = []apiv1.ContainerPort{{Name: "http", ContainerPort: 8000}}
			c.ReadinessProbe = &apiv1.Probe{HTTPGet: &apiv1.HTTPGetAction{Path: "/name", Port: apiv1.IntOrString{IsString: true, StrVal: "http"}},
				PeriodSeconds: 1, FailureThreshold: 1}
		}
		return apiv1.PodTemplateSpec{Spec: apiv1.PodSpec{Containers: []apiv1.Container{c}}}
	}
	worker := pod(dump+fmt.Sprintf("while [ ! -e %[1]s/$POD_NAME.crash ]; do sleep 0.2; done; rm -f %[1]s/$POD_NAME.crash; exit 1", root), false)
	return apiv1.Role{Name: name, EntryTemplate: pod(entry, true), WorkerReplicas: workers, WorkerTemplate: &worker}
}

// proofInfer is the ModelInfer: groups x (prefill: 1 entry + 1 worker,
// decode: 1 entry + 2 workers), every pod asking for cpu.
func proofInfer(name, root, cpu string, groups int) *apiv1.ModelInfer {
	return &apiv1.ModelInfer{Metadata: apiv1.ObjectMeta{Name: name}, Spec: apiv1.ModelInferSpec{Replicas: &groups,
		Template: apiv1.InferGroup{Roles: []apiv1.Role{inferRole("prefill", root, cpu, 1), inferRole("decode", root, cpu, 2)}}}}
}

// waitGroups waits until the ModelInfer has available groups available.
func waitGroups(t *testing.T, c *client.Client, name string, available int) *apiv1.ModelInfer {
	t.Helper()
	var m *apiv1.ModelInfer
	waitFor(t, 60*time.Second, func() (bool, error) {
		var err error
		m, err = c.GetModelInfer(t.Context(), workspace, name)
		return err == nil && m.Status.AvailableReplicas == available, err
	})
	return m
}

// readEnv reads the env a pod wrote.
func readEnv(t *testing.T, root, pod string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, pod+".env"))
	if err != nil {
		t.Fatalf("env of %s: %v", pod, err)
	}
	env := map[string]string{}
	for line := range strings.Lines(string(data)) {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			env[k] = v
		}
	}
	return env
}

// TestModelInferGroups: 2 groups of prefill (1 entry + 1 worker) and decode (1 entry +
// 2 workers) start as gangs; every pod knows its group, role and entry pod's address
// (a worker its index); the one endpoint answers from the entry pods of both groups.
func TestModelInferGroups(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	root := sharedDir(t)
	m, err := c.CreateModelInfer(t.Context(), workspace, proofInfer("llm", root, "1", 2))
	if err != nil {
		t.Fatal(err)
	}
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	m = waitGroups(t, c, "llm", 2)
	if st := m.Status; st.Replicas != 2 || st.UpdatedReplicas != 2 || len(st.Conditions) != 2 || st.Conditions[0].Status != "True" {
		t.Errorf("status %+v; want 2 groups, Available", st)
	}
	w := waitPhase(t, c, id, apiv1.PhaseRunning, 30*time.Second)
	ips := map[string]string{}
	for _, p := range w.Pods {
		ips[p.Rank] = p.PodIP
	}
	// Ranks: prefill entry, its worker, decode entry, its 2 workers; group by group.
	type want struct{ group, role, entryRank, worker, size string }
	layout := []want{{"0", "prefill", "0", "", "2"}, {"0", "prefill", "0", "0", "2"}, {"0", "decode", "2", "", "3"},
		{"0", "decode", "2", "0", "3"}, {"0", "decode", "2", "1", "3"}, {"1", "prefill", "5", "", "2"}, {"1", "prefill", "5", "0", "2"},
		{"1", "decode", "7", "", "3"}, {"1", "decode", "7", "0", "3"}, {"1", "decode", "7", "1", "3"}}
	if len(w.Pods) != len(layout) {
		t.Fatalf("%d pods, want %d", len(w.Pods), len(layout))
	}
	for _, p := range w.Pods {
		var rank int
		fmt.Sscan(p.Rank, &rank)
		l, env := layout[rank], readEnv(t, root, p.PodID)
		got := []string{env["GROUP_INDEX"], env["ROLE"], env["ROLE_INDEX"], env["ENTRY_ADDR"], env["WORKER_INDEX"], env["GROUP_SIZE"]}
		if exp := []string{l.group, l.role, "0", ips[l.entryRank], l.worker, l.size}; !slices.Equal(got, exp) || ips[l.entryRank] == "" {
			t.Errorf("pod %s (rank %d): GROUP_INDEX, ROLE, ROLE_INDEX, ENTRY_ADDR, WORKER_INDEX, GROUP_SIZE = %q, want %q", p.PodID, rank, got, exp)
		}
		if _, has := env["WORKER_INDEX"]; has && l.worker == "" {
			t.Errorf("entry pod %s has WORKER_INDEX", p.PodID)
		}
	}
	svc, err := c.WorkloadService(t.Context(), id)
	if err != nil {
		t.Fatalf("service: %v", err)
	}
	if got, want := namesThrough(t, svc.InternalDomain, 16), []string{"0-decode", "0-prefill", "1-decode", "1-prefill"}; !slices.Equal(got, want) {
		t.Errorf("the endpoint reached %v; want the entry pods of both groups %v", got, want)
	}
}

// TestModelInferGroupWaits: with room for one group only, the first group runs, the
// second waits with a message saying so, and starts once room appears.
func TestModelInferGroupWaits(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	blocker := job("blocker", "sleep 1000", 1)
	blocker.Resource.CPU = "16" // a node of the two
	bid := create(t, c, blocker)
	waitPhase(t, c, bid, apiv1.PhaseRunning, 30*time.Second)

	root := sharedDir(t)
	m, err := c.CreateModelInfer(t.Context(), workspace, proofInfer("llm", root, "3", 2)) // 15 cpus a group
	if err != nil {
		t.Fatal(err)
	}
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	waitGroups(t, c, "llm", 1)
	var w *apiv1.WorkloadDetail
	waitFor(t, 30*time.Second, func() (bool, error) {
		w = get(t, c, id)
		return strings.HasPrefix(w.Message, "1 of 2 inference groups wait for room"), nil
	})
	if w.Phase != apiv1.PhaseRunning || len(w.Pods) != 5 {
		t.Errorf("with one group placed: %s with %d pods, want Running with 5", w.Phase, len(w.Pods))
	}
	if why := scheduling(t, c, id); why.Message != w.Message || len(why.Reasons) == 0 || !strings.Contains(strings.Join(why.Reasons, "; "), "cpu") {
		t.Errorf("scheduling = %+v; want the message %q and the cpu it lacks", why, w.Message)
	}
	list, err := c.ListWorkloads(t.Context(), map[string][]string{"workspaceId": {workspace}, "kind": {apiv1.KindModelInfer}})
	if err != nil || len(list.Items) != 1 || list.Items[0].Message != w.Message {
		t.Errorf("listed ModelInfers %+v (%v); want llm with the message %q", list, err, w.Message)
	}
	if err := c.StopWorkload(t.Context(), bid); err != nil {
		t.Fatal(err)
	}
	m = waitGroups(t, c, "llm", 2)
	if w := get(t, c, id); w.Message != "" || len(w.Pods) != 10 || !slices.ContainsFunc(m.Status.Conditions, func(c apiv1.MetaCondition) bool {
		return c.Type == "Progressing" && c.Reason == "InferGroupsAvailable"
	}) {
		t.Errorf("once room appeared: message %q, %d pods, conditions %+v; want no message, 10 pods, complete", w.Message, len(w.Pods), m.Status.Conditions)
	}
}

// TestModelInferRecovery: a decode worker that fails recreates what its ModelInfer's
// recoveryPolicy says, after restartGracePeriodSeconds: itself alone (None), the pods
// of its role in its group (RoleRecreate), its whole group (InferGroupRecreate).
func TestModelInferRecovery(t *testing.T) {
	t.Parallel()
	requireRoot(t, "pods of their own IP (the sandbox)")
	requireHTTPD(t)
	s := startServer(t, "")
	c := s.Client
	root := sharedDir(t)
	const grace = 3
	cases := []struct {
		name, policy string
		grace        int64
		recreated    []int // ranks restarted besides the failed worker, rank 3
	}{
		{"none", apiv1.RecoveryNone, 0, nil},
		{"role", apiv1.RecoveryRoleRecreate, 0, []int{2, 4}},
		{"group", apiv1.RecoveryInferGroupRecreate, grace, []int{0, 1, 2, 4}},
	}
	ids := map[string]string{}
	for _, tc := range cases {
		m := proofInfer(tc.name, root, "1", 1)
		m.Spec.RecoveryPolicy, m.Spec.Template.RestartGracePeriodSeconds = tc.policy, &tc.grace
		created, err := c.CreateModelInfer(t.Context(), workspace, m)
		if err != nil {
			t.Fatal(err)
		}
		ids[tc.name] = created.Metadata.Annotations["berth.dev/workload-id"]
	}
	for _, tc := range cases {
		waitGroups(t, c, tc.name, 1)
	}
	crashed := time.Now()
	for _, tc := range cases {
		if err := os.WriteFile(filepath.Join(root, ids[tc.name]+"-3.crash"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range cases {
		want := []int{0, 0, 0, 1, 0}
		for _, r := range tc.recreated {
			want[r] = 1
		}
		var got []int
		waitFor(t, 60*time.Second, func() (bool, error) {
			got = restartsByRank(t, c, ids[tc.name])
			return slices.Equal(got, want) && get(t, c, ids[tc.name]).Phase == apiv1.PhaseRunning, nil
		})
		for _, r := range tc.recreated {
			fi, err := os.Stat(filepath.Join(root, fmt.Sprintf("%s-%d.env", ids[tc.name], r)))
			if err != nil {
				t.Fatal(err)
			}
			if since := fi.ModTime().Sub(crashed); since < time.Duration(tc.grace)*time.Second {
				t.Errorf("%s: pod of rank %d started again %s after the failure, before the grace of %ds", tc.name, r, since, tc.grace)
			}
		}
	}
}

// restartsByRank is the restartCount of each pod of the workload, by rank.
func restartsByRank(t *testing.T, c *client.Client, id string) []int {
	t.Helper()
	w := get(t, c, id)
	out := make([]int, len(w.Pods))
	for _, p := range w.Pods {
		var rank int
		fmt.Sscan(p.Rank, &rank)
		if rank < len(out) {
			out[rank] = p.RestartCount
		}
	}
	return out
}

// TestModelInferExample: the README's example, sent as YAML, runs its two groups;
// each worker finds its entry pod at ENTRY_ADDR.
func TestModelInferExample(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	body, err := os.Open(filepath.Join(repoRoot(), "examples", "modelinfer.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.URL+"/api/v1/modelinfers?workspaceId="+workspace, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/yaml")
	req.Header.Set("Authorization", "Bearer "+s.Client.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST the example: %s", resp.Status)
	}
	m := waitGroups(t, s.Client, "llm", 2)
	id := m.Metadata.Annotations["berth.dev/workload-id"]
	w := get(t, s.Client, id)
	ips := map[string]string{}
	for _, p := range w.Pods {
		ips[p.Rank] = p.PodIP
	}
	for _, worker := range []struct{ rank, entry string }{{"1", "0"}, {"3", "2"}} {
		var l string
		waitFor(t, 30*time.Second, func() (bool, error) {
			l = strings.Join(logs(t, s.Client, id, id+"-"+worker.rank, nil), "\n")
			return strings.Contains(l, "joining "+ips[worker.entry]), nil
		})
	}
}
