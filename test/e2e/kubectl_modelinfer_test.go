package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// inferNamespace is workspace inference's namespace.
const inferNamespace = "project-inference"

// TestKubectlModelInfer runs seed 004's ModelInfer with the real kubectl against a
// Berth on one machine: the README's example applied from YAML runs its two
// groups (READY 2/2), a second apply changes nothing, a scale to three runs the
// third group, -o yaml shows the seed's status, describe its events, the ModelInfer is Berth's
// /api/v1/modelinfers object and workload too, and a delete removes it.
func TestKubectlModelInfer(t *testing.T) {
	t.Parallel()
	bin := kubectlBin(t)
	s := startServer(t, "", "--nodes", "8")
	moveNodes(t, s, "inference", 6)
	k := kubectl{t: t, bin: bin, kubeconfig: kubeconfigOf(t, s, s.Client.Token())}
	file := filepath.Join(repoRoot(), "examples", "modelinfer.yaml")
	ns := []string{"-n", inferNamespace}
	with := func(args ...string) []string { return append(args, ns...) }

	if out := k.ok(with("apply", "-f", file)...); out != "modelinfer.workload.volcano.sh/llm created\n" {
		t.Errorf("apply: %q", out)
	}
	k.until(func(out string) bool { return strings.Contains(out, " 2/2 ") && strings.Contains(out, "Running") },
		with("get", "modelinfers", "--no-headers")...)
	rv := with("get", "modelinfer", "llm", "-o", "jsonpath={.metadata.resourceVersion}")
	before := k.ok(rv...)
	if out := k.ok(with("apply", "-f", file)...); out != "modelinfer.workload.volcano.sh/llm unchanged\n" {
		t.Errorf("second apply: %q, want unchanged", out)
	}
	if after := k.ok(rv...); after != before {
		t.Errorf("the second apply wrote: resourceVersion %s, then %s", before, after)
	}
	if head := strings.Fields(strings.SplitN(k.ok(with("get", "modelinfers")...), "\n", 2)[0]); strings.Join(head, " ") != "NAME REPLICAS READY PHASE AGE" {
		t.Errorf("get modelinfers columns: %v", head)
	}

	if out := k.ok(with("scale", "modelinfer/llm", "--replicas=3")...); out != "modelinfer.workload.volcano.sh/llm scaled\n" {
		t.Errorf("scale: %q", out)
	}
	k.until(func(out string) bool { return out == "3 3" },
		with("get", "modelinfer", "llm", "-o", "jsonpath={.status.replicas} {.status.availableReplicas}")...)
	checkInferYAML(t, k.ok(with("get", "modelinfers", "-o", "yaml")...))
	checkBerthModelInfer(t, s, k)
	if out := k.ok(with("describe", "modelinfer", "llm")...); !strings.Contains(out, "Kind:         ModelInfer") ||
		!strings.Contains(out, "Events:") || !strings.Contains(out, "Available") {
		t.Errorf("describe lacks the kind or the events:\n%s", out)
	}

	if out := k.ok(with("delete", "modelinfer", "llm")...); out != `modelinfer.workload.volcano.sh "llm" deleted`+"\n" {
		t.Errorf("delete: %q", out)
	}
	if _, errOut, _ := k.run(with("get", "modelinfers")...); errOut != "No resources found in "+inferNamespace+" namespace.\n" {
		t.Errorf("get after delete: %q", errOut)
	}
}

// checkInferYAML: -o yaml shows the ModelInfer as applied, defaulted, with the
// seed's status.
func checkInferYAML(t *testing.T, out string) {
	t.Helper()
	for _, want := range []string{"apiVersion: workload.volcano.sh/v1alpha1", "kind: ModelInfer", "namespace: " + inferNamespace,
		"replicas: 3", "workerReplicas: 1", "image: busybox", "observedGeneration: 2", "currentReplicas: ",
		"updatedReplicas: 3", "availableReplicas: 3", "type: Available", "type: Progressing"} {
		if !strings.Contains(out, want) {
			t.Errorf("get modelinfers -o yaml lacks %q:\n%s", want, out)
		}
	}
}

// checkBerthModelInfer: the ModelInfer is the one of Berth's own API, and the
// Berth workload its annotation names runs its three groups.
func checkBerthModelInfer(t *testing.T, s *server, k kubectl) {
	t.Helper()
	id := k.ok("get", "modelinfer", "llm", "-n", inferNamespace, "-o", `jsonpath={.metadata.annotations.berth\.dev/workload-id}`)
	d := get(t, s.Client, id)
	if d.DisplayName != "llm" || d.GroupVersionKind.Kind != apiv1.KindModelInfer || len(d.Pods) != 6 {
		t.Errorf("Berth workload %s: %s, %s, %d pods; want the ModelInfer llm of 6 pods", id, d.DisplayName, d.GroupVersionKind.Kind, len(d.Pods))
	}
}
