package kube

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// verdict is what an object's status conditions say about the pods it has not made:
// that it gave up (failed), or why they are not made yet.
type verdict struct {
	failed          bool
	reason, message string
	at              time.Time
}

// condition is one entry of an object's status.conditions.
type condition struct {
	typ, status, reason, message string
	at                           time.Time
}

func conditionsOf(u *unstructured.Unstructured) []condition {
	raw, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	out := make([]condition, 0, len(raw))
	for _, r := range raw {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { s, _ := m[k].(string); return s }
		c := condition{typ: str("type"), status: str("status"), reason: str("reason"), message: str("message")}
		c.at, _ = time.Parse(time.RFC3339, str("lastTransitionTime"))
		out = append(out, c)
	}
	return out
}

// objectVerdict reads the conditions of a rendered object, by reference §4.4 where it
// decides: a PyTorchJob that is Failed or FailedValidation gave up; a Deployment whose
// ReplicaSet cannot make pods (ReplicaFailure: a quota, an admission webhook) or that
// stopped progressing says so.
func objectVerdict(o object) (verdict, bool) {
	for _, c := range conditionsOf(o.Unstructured) {
		switch kind := o.GetKind(); {
		case kind == apiv1.KindPyTorchJob && (c.typ == "Failed" || c.typ == "FailedValidation") && c.status == "True":
			return verdict{failed: true, reason: c.typ, message: c.message, at: c.at}, true
		case kind == apiv1.KindDeployment && ((c.typ == "ReplicaFailure" && c.status == "True") ||
			(c.typ == "Progressing" && c.status == "False")):
			return verdict{reason: c.reason, message: c.message, at: c.at}, true
		}
	}
	return verdict{}, false
}

// explainCreation gives the stand-ins of pods the dispatch's object o has not made
// (Creating, NotCreated) what its conditions say: why they are not made, or, when the
// object gave up before making any pod, Failed.
func explainCreation(o object, out []runtime.PodStatus) {
	v, ok := objectVerdict(o)
	if !ok {
		return
	}
	for i := range out {
		s := &out[i]
		if s.Reason != reasonCreating && s.Reason != reasonNotCreated {
			continue
		}
		if v.failed && s.Reason == reasonCreating {
			s.Phase, s.EndTime = workload.PodFailed, v.at
		}
		s.Reason, s.Message = v.reason, v.message
	}
}
