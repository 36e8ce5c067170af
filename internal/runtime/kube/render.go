package kube

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	k8sresource "k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// Labels and annotations Berth puts on what it creates.
const (
	// LabelWorkload names the workload an object or pod belongs to.
	LabelWorkload = "berth.io/workload-id"
	// LabelDispatch is the dispatch count that created it.
	LabelDispatch = "berth.io/dispatch-count"
	// LabelKind is the workload's kind.
	LabelKind = "berth.io/kind"
	// LabelTemplate is on pods: workload.PodTemplateHash of the spec the pod was
	// made from, so that an update in place can tell replaced pods from the others.
	LabelTemplate = "berth.io/template"
	// LabelInstance names the Berth installation that made it (auth.Keys.InstanceID):
	// a runtime sees and touches only its own installation's objects and pods.
	LabelInstance = "berth.io/instance"
	// AnnotationPlacement on a dispatch's object lists the planned node of each rank,
	// comma-separated: what the binder binds the object's pods to. It is not on the
	// pod template, so a new placement (more or fewer replicas) replaces no pod.
	AnnotationPlacement = "berth.io/placement"
	// SchedulerName is the scheduler of every Berth pod: Berth binds them itself, the
	// default kube-scheduler never places one.
	SchedulerName = "berth"
)

// Priority classes, one per workload priority (0 low, 1 medium, 2 high).
var priorityClasses = []struct {
	name  string
	value int32
}{{"berth-low-priority", -10000}, {"berth-medium-priority", -1}, {"berth-high-priority", 10000}}

// rendered is what one dispatch of a workload becomes in the cluster.
type rendered struct {
	object  *unstructured.Unstructured
	service *corev1.Service               // nil without spec.service
	home    *corev1.PersistentVolumeClaim // nil without a home (home.go)
	groups  []*corev1.Service             // a ModelInfer's headless Service of each group
}

// target says where a dispatch is rendered to.
type target struct {
	namespace string
	vendor    string // GPU vendor of the planned nodes: names the GPU resource
	instance  string // LabelInstance
}

// render turns one dispatch into its object (and service).
func render(req runtime.StartRequest, to target) (*rendered, error) {
	if req.Kind == apiv1.KindModelInfer {
		return renderInfer(req, to)
	}
	tmpl, err := podTemplate(req, to)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	switch req.Kind {
	case apiv1.KindPyTorchJob:
		obj, err = pytorchJob(req, tmpl)
	case apiv1.KindDeployment, apiv1.KindStatefulSet:
		obj, err = appsObject(req, tmpl)
	case apiv1.KindAuthoring:
		obj, err = barePod(tmpl)
	case apiv1.KindAutoscalingRunnerSet:
		obj, err = runnerSetObject(req, tmpl, to)
	default:
		return nil, fmt.Errorf("the kube runtime does not run kind %s", req.Kind)
	}
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: obj}
	u.SetName(objectName(req))
	u.SetNamespace(to.namespace)
	u.SetLabels(objectLabels(req, to))
	u.SetAnnotations(map[string]string{AnnotationPlacement: placementAnnotation(req)})
	out := &rendered{object: u}
	if req.Spec.Service != nil {
		out.service = service(req, to)
	}
	out.home, err = homeClaim(req, to)
	return out, err
}

// placementAnnotation lists the planned node of each rank.
func placementAnnotation(req runtime.StartRequest) string {
	nodes := make([]string, len(req.Pods))
	for i, p := range req.Pods {
		nodes[i] = p.Node
	}
	return strings.Join(nodes, ",")
}

// placementNodes reads the planned node of each rank back from the annotations of an
// object (or of a bare pod); false when they have none.
func placementNodes(annotations map[string]string) ([]string, bool) {
	v, ok := annotations[AnnotationPlacement]
	if !ok {
		return nil, false
	}
	return strings.Split(v, ","), true
}

// objectName names the dispatch's object: the workload id, or for the bare pod of
// an Authoring workload the pod name the controller expects.
func objectName(req runtime.StartRequest) string {
	if req.Kind == apiv1.KindAuthoring && len(req.Pods) > 0 {
		return req.Pods[0].PodID
	}
	return req.WorkloadID
}

func objectLabels(req runtime.StartRequest, to target) map[string]string {
	return map[string]string{LabelWorkload: req.WorkloadID, LabelDispatch: strconv.Itoa(req.Dispatch),
		LabelKind: req.Kind, LabelInstance: to.instance}
}

// podTemplate is the template every pod of the dispatch is made from.
func podTemplate(req runtime.StartRequest, to target) (*corev1.PodTemplateSpec, error) {
	res, err := resources(req.Spec.Resource, to.vendor)
	if err != nil {
		return nil, err
	}
	lim, err := limits(res, req.Spec.Resource.Limits)
	if err != nil {
		return nil, err
	}
	main := corev1.Container{
		Name:      workload.MainContainer(req.Kind),
		Image:     req.Spec.Image,
		Command:   []string{"/bin/sh", "-c", req.Command},
		Env:       append(env(req), secretEnv(req.Spec.SecretEnv, to.instance)...),
		Resources: corev1.ResourceRequirements{Requests: res, Limits: lim},
		Ports:     ports(req.Spec),
	}
	main.LivenessProbe, main.ReadinessProbe = probe(req.Spec.Liveness), probe(req.Spec.Readiness)
	labels := objectLabels(req, to)
	labels[LabelTemplate] = workload.PodTemplateHash(&req.Spec)
	t := &corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: labels},
		Spec: corev1.PodSpec{
			SchedulerName:     SchedulerName,
			PriorityClassName: priorityClass(req.Spec.Priority),
			RestartPolicy:     corev1.RestartPolicyNever,
			Containers:        []corev1.Container{main},
		},
	}
	if req.RestartAlways {
		t.Spec.RestartPolicy = corev1.RestartPolicyAlways
	}
	if req.Spec.IsTolerateAll {
		t.Spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	}
	if req.Kind != apiv1.KindAutoscalingRunnerSet { // as the reference: a runner gets no /dev/shm
		if err := mountSharedMemory(t, req.Spec.Resource.SharedMemory); err != nil {
			return nil, err
		}
	}
	mountHostPaths(t, req.Spec.Hostpath)
	mountHome(t, req)
	useSecrets(t, podSecrets(req), to.instance)
	if err := addSidecars(t, req, to.instance); err != nil {
		return nil, err
	}
	return t, nil
}

// resources are the per-pod requests of r (its limits too, but where r.Limits sets
// cpu or memory).
func resources(r apiv1.WorkloadResource, vendor string) (corev1.ResourceList, error) {
	out := corev1.ResourceList{}
	for _, q := range []struct {
		name  corev1.ResourceName
		value string
	}{
		{corev1.ResourceCPU, r.CPU}, {corev1.ResourceMemory, r.Memory},
		{corev1.ResourceEphemeralStorage, r.EphemeralStorage}, {gpuResource(vendor), r.GPU},
	} {
		if q.value == "" || q.value == "0" {
			continue
		}
		v, err := k8sresource.ParseQuantity(q.value)
		if err != nil {
			return nil, fmt.Errorf("resource %s %q: %w", q.name, q.value, err)
		}
		out[q.name] = v
	}
	return out, nil
}

// gpuResource names a vendor's GPU resource; NVIDIA's is the default.
func gpuResource(vendor string) corev1.ResourceName {
	if vendor == "amd" {
		return "amd.com/gpu"
	}
	return "nvidia.com/gpu"
}

// env is the workload's env and the platform env, sorted, plus the pod's own name.
// RANK, WORLD_SIZE and MASTER_ADDR of a PyTorchJob come from its operator.
func env(req runtime.StartRequest) []corev1.EnvVar {
	out := make([]corev1.EnvVar, 0, len(req.Env)+1)
	for _, k := range slices.Sorted(maps.Keys(req.Env)) {
		out = append(out, corev1.EnvVar{Name: k, Value: req.Env[k]})
	}
	return append(out, corev1.EnvVar{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}})
}

func ports(spec apiv1.WorkloadSpec) []corev1.ContainerPort {
	var out []corev1.ContainerPort
	if spec.Service != nil && spec.Service.TargetPort > 0 {
		out = append(out, corev1.ContainerPort{Name: "service", ContainerPort: int32(spec.Service.TargetPort),
			Protocol: protocol(spec.Service.Protocol)})
	}
	if spec.SSHPort > 0 {
		out = append(out, corev1.ContainerPort{Name: "ssh", ContainerPort: int32(spec.SSHPort), Protocol: corev1.ProtocolTCP})
	}
	return out
}

func protocol(p string) corev1.Protocol {
	if strings.EqualFold(p, "udp") {
		return corev1.ProtocolUDP
	}
	return corev1.ProtocolTCP
}

func probe(h *apiv1.HealthCheck) *corev1.Probe {
	if h == nil {
		return nil
	}
	return &corev1.Probe{
		ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
			Path: h.Path, Port: intstr.FromInt32(int32(h.Port))}},
		InitialDelaySeconds: int32(h.InitialDelaySeconds),
		PeriodSeconds:       int32(h.PeriodSeconds),
		FailureThreshold:    int32(h.FailureThreshold),
	}
}

func priorityClass(priority int) string {
	return priorityClasses[min(max(priority, 0), len(priorityClasses)-1)].name
}

// mountSharedMemory backs /dev/shm with memory of the given size.
func mountSharedMemory(t *corev1.PodTemplateSpec, size string) error {
	if size == "" {
		return nil
	}
	q, err := k8sresource.ParseQuantity(size)
	if err != nil {
		return fmt.Errorf("sharedMemory %q: %w", size, err)
	}
	t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: "shared-memory", VolumeSource: corev1.VolumeSource{
		EmptyDir: &corev1.EmptyDirVolumeSource{Medium: corev1.StorageMediumMemory, SizeLimit: &q}}})
	c := &t.Spec.Containers[0]
	c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: "shared-memory", MountPath: "/dev/shm"})
	return nil
}

// mountHostPaths mounts each host path at the same path in the main container.
func mountHostPaths(t *corev1.PodTemplateSpec, paths []string) {
	c := &t.Spec.Containers[0]
	for i, p := range paths {
		name := "hostpath-" + strconv.Itoa(i)
		t.Spec.Volumes = append(t.Spec.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{
			HostPath: &corev1.HostPathVolumeSource{Path: p}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: p})
	}
}

// pytorchJob is a kubeflow.org/v1 PyTorchJob: Master 1 and Worker replica−1 (none
// when replica is 1).
func pytorchJob(req runtime.StartRequest, tmpl *corev1.PodTemplateSpec) (map[string]any, error) {
	t, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(tmpl)
	if err != nil {
		return nil, err
	}
	spec := func(n int) map[string]any {
		return map[string]any{"replicas": int64(n), "restartPolicy": "Never", "template": t}
	}
	replicas := map[string]any{"Master": spec(1)}
	if len(req.Pods) > 1 {
		replicas["Worker"] = spec(len(req.Pods) - 1)
	}
	return map[string]any{
		"apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
		"spec": map[string]any{
			"runPolicy":           map[string]any{"cleanPodPolicy": "None"},
			"pytorchReplicaSpecs": replicas,
		},
	}, nil
}

// appsObject is an apps/v1 Deployment or StatefulSet of replica pods.
func appsObject(req runtime.StartRequest, tmpl *corev1.PodTemplateSpec) (map[string]any, error) {
	t, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(tmpl)
	if err != nil {
		return nil, err
	}
	spec := map[string]any{
		"replicas": int64(len(req.Pods)),
		"selector": map[string]any{"matchLabels": map[string]any{LabelWorkload: req.WorkloadID}},
		"template": t,
	}
	if req.Kind == apiv1.KindStatefulSet {
		spec["serviceName"] = req.WorkloadID
		spec["podManagementPolicy"] = "Parallel" // a gang: every pod at once
		// It replaces its pods from the highest ordinal down; maxUnavailable needs the
		// MaxUnavailableStatefulSet feature gate (one at a time without it), and at
		// least 1, as a StatefulSet never surges.
		spec["updateStrategy"] = map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{
			"partition": int64(0), "maxUnavailable": int64(max(1, workload.Limits(&req.Spec).MaxUnavailable))}}
	} else {
		// Each new pod takes the rank, and the node, of the pod it replaces; a surge
		// pod shares it with that pod until the handover (assignRanks).
		spec["strategy"] = map[string]any{"type": "RollingUpdate", "rollingUpdate": map[string]any{
			"maxSurge":       intOrPercent(workload.Extend(&req.Spec, workload.ExtendMaxSurge)),
			"maxUnavailable": intOrPercent(workload.Extend(&req.Spec, workload.ExtendMaxUnavailable)),
		}}
		spec["progressDeadlineSeconds"] = int64(workload.Limits(&req.Spec).ProgressDeadline.Seconds())
	}
	return map[string]any{"apiVersion": "apps/v1", "kind": req.Kind, "spec": spec}, nil
}

// intOrPercent is a validated rollout bound as Kubernetes reads it: "25%" stays a
// string, "1" becomes a number.
func intOrPercent(v string) any {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n
	}
	return v
}

// barePod is the one pod of an Authoring workload (a dev machine).
func barePod(tmpl *corev1.PodTemplateSpec) (map[string]any, error) {
	pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
	obj, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(pod)
	if err != nil {
		return nil, err
	}
	obj["apiVersion"], obj["kind"] = "v1", "Pod"
	return obj, nil
}

// runnerSetObject is an actions.github.com/v1alpha1 AutoscalingRunnerSet: the
// actions-runner-controller registers it with GitHub using the token secret, runs its
// listener, and makes runner pods from the template as jobs come, at most replica at
// once; Berth binds them to the planned nodes. The listener pod, which the controller
// makes in its own namespace, carries Berth's labels through the listener template:
// its phase is the runner set's.
func runnerSetObject(req runtime.StartRequest, tmpl *corev1.PodTemplateSpec, to target) (map[string]any, error) {
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyNever // a runner takes one job and ends: it is ephemeral
	t, err := k8sruntime.DefaultUnstructuredConverter.ToUnstructured(tmpl)
	if err != nil {
		return nil, err
	}
	// The controller merges a container of this name into the listener's own.
	listener := map[string]any{"spec": map[string]any{"containers": []any{map[string]any{"name": "listener"}}}}
	if err := unstructured.SetNestedStringMap(listener, objectLabels(req, to), "metadata", "labels"); err != nil {
		return nil, err
	}
	return map[string]any{
		"apiVersion": "actions.github.com/v1alpha1", "kind": apiv1.KindAutoscalingRunnerSet,
		"spec": map[string]any{
			"githubConfigUrl":    req.Spec.Env[workload.GitHubConfigURLEnv],
			"githubConfigSecret": secretName(to.instance, workload.TokenSecretID(req.WorkloadID)),
			"minRunners":         int64(0),
			"maxRunners":         int64(len(req.Pods)),
			"template":           t,
			"listenerTemplate":   listener,
		},
	}, nil
}

// podSecrets are the secrets the pods use: all of the workload's but a runner set's
// GitHub token, which only the actions-runner-controller reads. Mounted in the
// runner, it would be open to every CI job the runner takes.
func podSecrets(req runtime.StartRequest) []runtime.Secret {
	if req.Kind != apiv1.KindAutoscalingRunnerSet {
		return req.Secrets
	}
	token := workload.TokenSecretID(req.WorkloadID)
	return slices.DeleteFunc(slices.Clone(req.Secrets), func(s runtime.Secret) bool { return s.ID == token })
}

// service exposes the workload's pods as spec.service says.
func service(req runtime.StartRequest, to target) *corev1.Service {
	s := req.Spec.Service
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: req.WorkloadID, Namespace: to.namespace, Labels: objectLabels(req, to)},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{LabelWorkload: req.WorkloadID},
			Ports: []corev1.ServicePort{{Protocol: protocol(s.Protocol), Port: int32(s.Port),
				TargetPort: intstr.FromInt32(int32(s.TargetPort))}},
		},
	}
	if strings.EqualFold(s.ServiceType, string(corev1.ServiceTypeNodePort)) {
		svc.Spec.Type = corev1.ServiceTypeNodePort
		svc.Spec.Ports[0].NodePort = int32(s.NodePort)
	}
	return svc
}
