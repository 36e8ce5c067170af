package kube

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// inferRenderRequest is a ModelInfer dispatch of the 2 groups, both placed.
func inferRenderRequest() runtime.StartRequest {
	spec := inferSpec(apiv1.RecoveryInferGroupRecreate, 30)
	spec.Template.Roles[1].EntryTemplate.Metadata = &apiv1.PodMetadata{Labels: map[string]string{"tier": "decode"}}
	spec.Template.Roles[1].EntryTemplate.Spec.Containers[0].Resources.Limits = map[string]string{"nvidia.com/gpu": "2"}
	req := renderRequest(apiv1.KindModelInfer, 10)
	req.Spec = workload.ModelInferWorkloadSpec("team-a", spec)
	req.Spec.Priority = 1
	req.Infer, req.Secrets, req.Command = spec, nil, ""
	return req
}

// TestRenderInferGolden renders a ModelInfer's record, Services and the pods of its
// group 0 and compares them with testdata/modelinfer.yaml (-update rewrites it).
func TestRenderInferGolden(t *testing.T) {
	req := inferRenderRequest()
	out, err := render(req, target{namespace: "team-a", instance: "0a1b2c3d4e5f"})
	if err != nil {
		t.Fatal(err)
	}
	out.object.SetUID("0d5e2c4a-record")
	rec, err := readRecord(out.object)
	if err != nil {
		t.Fatal(err)
	}
	docs := []any{out.object.Object, out.service}
	for _, g := range out.groups {
		docs = append(docs, g)
	}
	for rank := range 5 {
		pod, err := inferPod(out.object, rec, rank)
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, pod)
	}
	var b strings.Builder
	for _, d := range docs {
		y, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	golden(t, filepath.Join("testdata", "modelinfer.yaml"), b.String())
}

// TestRenderInferRejects: a request without its ModelInfer spec, and roles whose
// names differ only in case (their pods would share hostnames).
func TestRenderInferRejects(t *testing.T) {
	req := inferRenderRequest()
	req.Infer = nil
	if _, err := render(req, target{namespace: "team-a"}); err == nil || !strings.Contains(err.Error(), "no ModelInfer spec") {
		t.Errorf("render without the spec = %v, want an error saying so", err)
	}
	req = inferRenderRequest()
	req.Infer.Template.Roles[1].Name = "Prefill"
	if _, err := render(req, target{namespace: "team-a"}); err == nil || !strings.Contains(err.Error(), "differ only in case") {
		t.Errorf("render with roles prefill and Prefill = %v, want an error saying they clash", err)
	}
}

// TestGroupServiceName: a group's Service is <id>-g<group>, within 63 characters
// and still told apart when the id is long.
func TestGroupServiceName(t *testing.T) {
	if got := groupServiceName("llm-x2k9p", 3); got != "llm-x2k9p-g3" {
		t.Errorf("groupServiceName = %q, want llm-x2k9p-g3", got)
	}
	long := strings.Repeat("a", 57) + "-x2k9p"
	other := strings.Repeat("a", 57) + "-q7r4s"
	a, b := groupServiceName(long, 12), groupServiceName(other, 12)
	if len(a) > 63 || len(b) > 63 || a == b || !strings.HasSuffix(a, "-g12") {
		t.Errorf("long ids: %q and %q; want distinct names of at most 63 characters ending -g12", a, b)
	}
}

// TestPlanRecovery: noticed failures join the record once; a due one deletes its
// live siblings and stays until they are gone; the wait for the next is told; those
// of another dispatch are dropped.
func TestPlanRecovery(t *testing.T) {
	var rc recovery
	now := time.Now()
	pod := func(uid types.UID) *corev1.Pod { return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{UID: uid}} }
	rc.add("w", failure{pod: "a", dispatch: "1", due: now.Add(-time.Second), siblings: []types.UID{"s1", "s2"}})
	rc.add("w", failure{pod: "a", dispatch: "1", due: now.Add(time.Hour)}) // the same pod: kept once
	rc.add("w", failure{pod: "b", dispatch: "1", due: now.Add(2 * time.Second), siblings: []types.UID{"s3"}})
	rc.add("w", failure{pod: "c", dispatch: "0", due: now})
	rec := &inferRecord{}
	noticed := rc.pending("w", "1")
	step := planRecovery(rec, noticed, []*corev1.Pod{pod("s1"), pod("s3")}, now)
	if len(step.remove) != 1 || step.remove[0].UID != "s1" || step.next != 2*time.Second || !step.changed || len(rec.Recoveries) != 2 {
		t.Errorf("at now: %+v, record %+v; want s1 deleted, next in 2s, both recorded", step, rec.Recoveries)
	}
	rc.recorded("w", noticed)
	if left := rc.pending("w", "1"); len(left) != 0 {
		t.Errorf("pending once recorded = %+v, want none", left)
	}
	step = planRecovery(rec, nil, []*corev1.Pod{pod("s3")}, now.Add(2*time.Second))
	if len(step.remove) != 1 || step.remove[0].UID != "s3" || !step.changed || len(rec.Recoveries) != 1 || rec.Recoveries[0].Pod != "b" {
		t.Errorf("2s later: %+v, record %+v; want s3 deleted, a done, b kept", step, rec.Recoveries)
	}
	step = planRecovery(rec, nil, nil, now.Add(3*time.Second))
	if len(step.remove) != 0 || !step.changed || len(rec.Recoveries) != 0 || step.next != 0 {
		t.Errorf("once s3 is gone: %+v, record %+v; want nothing left", step, rec.Recoveries)
	}
}
