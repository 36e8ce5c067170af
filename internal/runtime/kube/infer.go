package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// A ModelInfer runs without a third-party controller: each dispatch is a ConfigMap,
// its record, that holds what the runtime needs to make any of its pods (the
// ModelInfer's spec, the workload's spec and the platform env) and, as other kinds'
// objects do, the planned node of each rank. The runtime makes the pods itself, bare
// and owned by the record, one per planned rank, binds them as gangs like any other
// Berth pods, makes a missing one again and recovers failed ones as the
// recoveryPolicy says (infer_sync.go, infer_recovery.go), and rolls its groups to a
// changed template (infer_roll.go). Each group has a headless Service, so that a
// pod reaches its instance's entry pod by DNS name; one Service, named after the
// workload, selects the entry pods of the groups whose every pod is ready (the sync
// labels them so) on the first port of the first role's entry container.

// Labels on a ModelInfer's pods: their place in their inference group.
const (
	LabelInferGroup     = "berth.io/infer-group"
	LabelInferRole      = "berth.io/infer-role"
	LabelInferRoleIndex = "berth.io/infer-role-index"
	// LabelInferEntry is "true" on entry pods, "false" on workers.
	LabelInferEntry = "berth.io/infer-entry"
	// LabelInferWorker is a worker's index among its instance's workers.
	LabelInferWorker = "berth.io/infer-worker-index"
	// LabelInferServing is "true" on the entry pods of the groups whose every pod is
	// ready: those the ModelInfer's Service selects.
	LabelInferServing = "berth.io/infer-serving"
)

// configMaps is the resource of a ModelInfer dispatch's record.
var configMaps = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}

// recordKey is the key of the record in its ConfigMap's data.
const recordKey = "record.json"

// inferRecord is what a ModelInfer dispatch's ConfigMap holds. It has no secret: a
// ModelInfer names none, and its env values are the spec's literals.
type inferRecord struct {
	Infer apiv1.ModelInferSpec `json:"infer"`
	Spec  apiv1.WorkloadSpec   `json:"spec"`
	Env   map[string]string    `json:"env"`
	// OldGroups are the ordinals that run an older group template than Infer's while
	// a rollout is under way (infer_roll.go), to the workload.InferTemplateHash of
	// theirs; OldTemplates holds those templates by hash.
	OldGroups    map[int]string              `json:"oldGroups,omitempty"`
	OldTemplates map[string]apiv1.InferGroup `json:"oldTemplates,omitempty"`
	// Recoveries are the failures whose siblings are yet to be made again.
	Recoveries []pendingRecovery `json:"recoveries,omitempty"`
}

// renderInfer turns a ModelInfer dispatch into its record, its entry Service and the
// headless Service of each group.
func renderInfer(req runtime.StartRequest, to target) (*rendered, error) {
	if req.Infer == nil {
		return nil, fmt.Errorf("the request of ModelInfer %s carries no ModelInfer spec", req.WorkloadID)
	}
	if err := checkHostnames(req.Infer); err != nil {
		return nil, err
	}
	data, err := json.Marshal(inferRecord{Infer: *req.Infer, Spec: req.Spec, Env: req.Env})
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap",
		"data": map[string]any{recordKey: string(data)}}}
	u.SetName(req.WorkloadID)
	u.SetNamespace(to.namespace)
	u.SetLabels(objectLabels(req, to))
	u.SetAnnotations(map[string]string{AnnotationPlacement: placementAnnotation(req)})
	out := &rendered{object: u}
	if req.Spec.Service != nil {
		out.service = service(req, to)
		out.service.Spec.Selector[LabelInferServing] = "true"
	}
	for g := range derefInt(req.Infer.Replicas) {
		out.groups = append(out.groups, groupService(req, to, g))
	}
	return out, nil
}

// checkHostnames refuses roles whose names differ only in case: pod hostnames are
// lower-case, so their pods would share one.
func checkHostnames(spec *apiv1.ModelInferSpec) error {
	seen := map[string]bool{}
	for _, r := range spec.Template.Roles {
		name := strings.ToLower(r.Name)
		if seen[name] {
			return fmt.Errorf("roles named %q differ only in case: their pods would share a hostname", r.Name)
		}
		seen[name] = true
	}
	return nil
}

func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// groupServiceName names the headless Service of group g: <workload>-g<g>, the
// workload id cut (and told apart by a hash of it) where that is over 63 characters.
func groupServiceName(workloadID string, g int) string {
	suffix := "-g" + strconv.Itoa(g)
	if len(workloadID)+len(suffix) <= validationDNSLabel {
		return workloadID + suffix
	}
	sum := sha256.Sum256([]byte(workloadID))
	hash := "-" + hex.EncodeToString(sum[:])[:6]
	return strings.TrimRight(workloadID[:validationDNSLabel-len(suffix)-len(hash)], "-") + hash + suffix
}

// validationDNSLabel is the longest DNS label: a Service name, a pod hostname.
const validationDNSLabel = 63

// groupService is the headless Service of group g: it gives each of the group's pods
// a DNS name, <hostname>.<service>.<namespace>.svc, ready or not (a worker resolves
// its entry pod before that serves).
func groupService(req runtime.StartRequest, to target, g int) *corev1.Service {
	labels := objectLabels(req, to)
	labels[LabelInferGroup] = strconv.Itoa(g)
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: groupServiceName(req.WorkloadID, g), Namespace: to.namespace, Labels: labels},
		Spec: corev1.ServiceSpec{
			ClusterIP:                corev1.ClusterIPNone,
			Selector:                 map[string]string{LabelWorkload: req.WorkloadID, LabelInferGroup: strconv.Itoa(g)},
			PublishNotReadyAddresses: true,
		},
	}
}

// hostname is a pod's hostname in its group's Service: <role>-<instance> for an
// entry pod, <role>-<instance>-w<worker> for a worker.
func hostname(p workload.InferPod) string {
	h := strings.ToLower(p.Role) + "-" + strconv.Itoa(p.RoleIndex)
	if !p.Entry() {
		h += "-w" + strconv.Itoa(p.Worker)
	}
	return h
}

// entryAddr is ENTRY_ADDR on kube: the DNS name of the pod's instance's entry pod. A
// name rather than an IP: it is known when the pod is made (env cannot change once
// it is), and stays when the entry pod is made again.
func entryAddr(p workload.InferPod, workloadID, namespace string) string {
	entry := p
	entry.Worker = -1
	return hostname(entry) + "." + groupServiceName(workloadID, p.Group) + "." + namespace + ".svc"
}

// readRecord decodes the record of a ModelInfer dispatch's ConfigMap.
func readRecord(cm *unstructured.Unstructured) (*inferRecord, error) {
	raw, _, err := unstructured.NestedString(cm.Object, "data", recordKey)
	if err != nil || raw == "" {
		return nil, fmt.Errorf("ConfigMap %s/%s holds no ModelInfer record", cm.GetNamespace(), cm.GetName())
	}
	var rec inferRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return nil, fmt.Errorf("the record of ConfigMap %s/%s: %w", cm.GetNamespace(), cm.GetName(), err)
	}
	return &rec, nil
}

// inferPod is the pod of rank in the dispatch cm records: its role's template, with
// Berth's scheduler, labels saying where it stands, its rank, its hostname in its
// group's Service, and the env a serving engine needs.
func inferPod(cm *unstructured.Unstructured, rec *inferRecord, rank int) (*corev1.Pod, error) {
	p, ok := workload.InferPodAt(&rec.Infer, rank)
	if !ok {
		return nil, fmt.Errorf("rank %d is beyond the ModelInfer's pods", rank)
	}
	var spec corev1.PodSpec
	raw, err := json.Marshal(p.Template.Spec) // apiv1's pod spec is a part of Kubernetes'
	if err == nil {
		err = json.Unmarshal(raw, &spec)
	}
	if err != nil {
		return nil, fmt.Errorf("the pod template of role %s: %w", p.Role, err)
	}
	workloadID, ns := cm.GetLabels()[LabelWorkload], cm.GetNamespace()
	spec.SchedulerName, spec.RestartPolicy = SchedulerName, corev1.RestartPolicyAlways
	spec.PriorityClassName = priorityClass(rec.Spec.Priority)
	spec.Hostname, spec.Subdomain = hostname(p), groupServiceName(workloadID, p.Group)
	if rec.Spec.IsTolerateAll {
		spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	}
	env := inferEnv(rec, p, workloadID, ns)
	for i := range spec.Containers {
		spec.Containers[i].Env = env
	}
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"}, ObjectMeta: metav1.ObjectMeta{Name: workload.PodID(workloadID, apiv1.KindModelInfer, rank), Namespace: ns,
		Labels: inferLabels(cm, rec, p), Annotations: map[string]string{annotationRank: strconv.Itoa(rank)},
		OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "ConfigMap", Name: cm.GetName(), UID: cm.GetUID()}}},
		Spec: spec}
	if m := p.Template.Metadata; m != nil {
		pod.Annotations = merged(m.Annotations, pod.Annotations)
		pod.Labels = merged(m.Labels, pod.Labels)
	}
	return pod, nil
}

// inferLabels are the labels of pod p: its dispatch's, the group template it was
// made from, and its place.
func inferLabels(cm *unstructured.Unstructured, rec *inferRecord, p workload.InferPod) map[string]string {
	labels := maps.Clone(cm.GetLabels())
	labels[LabelTemplate] = workload.InferTemplateHash(&rec.Infer)
	labels[LabelInferGroup] = strconv.Itoa(p.Group)
	labels[LabelInferRole] = p.Role
	labels[LabelInferRoleIndex] = strconv.Itoa(p.RoleIndex)
	labels[LabelInferEntry] = strconv.FormatBool(p.Entry())
	if !p.Entry() {
		labels[LabelInferWorker] = strconv.Itoa(p.Worker)
	}
	return labels
}

// merged is base with over's entries put over it.
func merged(base, over map[string]string) map[string]string {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, over)
	return out
}

// inferEnv is every container's env: the platform env, the container template's
// own, the pod's place (GROUP_INDEX, ROLE, ROLE_INDEX, WORKER_INDEX, GROUP_SIZE),
// ENTRY_ADDR, and POD_NAME; sorted by name.
func inferEnv(rec *inferRecord, p workload.InferPod, workloadID, ns string) []corev1.EnvVar {
	vars := maps.Clone(rec.Env)
	if vars == nil {
		vars = map[string]string{}
	}
	maps.Copy(vars, p.Env())
	vars["ENTRY_ADDR"] = entryAddr(p, workloadID, ns)
	out := make([]corev1.EnvVar, 0, len(vars)+1)
	for _, k := range slices.Sorted(maps.Keys(vars)) {
		out = append(out, corev1.EnvVar{Name: k, Value: vars[k]})
	}
	return append(out, corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}})
}
