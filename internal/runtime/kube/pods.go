package kube

import (
	"context"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// Status reports the pods of one dispatch from the informer's cache, by rank. A
// gang whose operator has created only some pods reports the others Pending, so a
// part of a gang never looks like the whole of it; while the workload stops, what
// is left of its objects counts as a Pending pod, so a stop is not over early.
func (r *Runtime) Status(ctx context.Context, ref runtime.Ref) ([]runtime.PodStatus, error) {
	pods, err := r.workloadPods(ref.WorkloadID, strconv.Itoa(ref.Dispatch))
	if err != nil {
		return nil, err
	}
	obj, found := r.dispatchObject(ref.WorkloadID, ref.Dispatch)
	out, err := r.status(ref, pods, obj, found)
	uid := objectUID(obj, found, pods)
	for i := range out {
		out[i].ObjectUID = uid
	}
	return out, err
}

// objectUID is the uid of the dispatch's object, or of its pod when that is a bare
// pod (Authoring), which is its own object; "" before either exists.
func objectUID(obj object, found bool, pods []*corev1.Pod) string {
	if found {
		return string(obj.GetUID())
	}
	for _, p := range pods {
		if metav1.GetControllerOf(p) == nil {
			return string(p.UID)
		}
	}
	return ""
}

// status reports the dispatch's pods, or stands in for those it will have.
func (r *Runtime) status(ref runtime.Ref, pods []*corev1.Pod, obj object, found bool) ([]runtime.PodStatus, error) {
	stopping := r.stops.stopping(ref.WorkloadID)
	current := found && obj.GetDeletionTimestamp() == nil // not being deleted
	if current && obj.gvr == runnerSets && !stopping {
		out := runnerSetStatus(ref.WorkloadID, obj, pods)
		r.events.explain(out, pods)
		return out, nil
	}
	if len(pods) == 0 && !stopping {
		if !current {
			return nil, nil
		}
		out := creating(ref.WorkloadID, obj)
		explainCreation(obj, out)
		return out, nil
	}
	var placement []string // none when the object is gone: ranks come from the pods
	if found {
		placement, _ = placementNodes(obj.GetAnnotations())
	} else if len(pods) > 0 {
		placement, _ = r.placementOf(pods[0]) // a bare pod is its own object
	}
	out := podStatuses(ref.WorkloadID, pods, placement, !stopping)
	r.events.explain(out, pods)
	if !stopping && current && slices.ContainsFunc(out, func(s runtime.PodStatus) bool { return s.Reason == reasonNotCreated }) {
		explainCreation(obj, out)
	}
	if stopping && !slices.ContainsFunc(out, runtime.PodStatus.Live) {
		deleting, err := r.deleting(ref.WorkloadID)
		return append(out, deleting...), err
	}
	return out, nil
}

// The label, and its value, by which the actions-runner-controller marks the
// listener pod of a runner set.
const (
	labelComponent    = "app.kubernetes.io/component"
	listenerComponent = "runner-scale-set-listener"
)

// dispatchObject finds the dispatch's object in the caches (a bare pod is not there).
func (r *Runtime) dispatchObject(workloadID string, dispatch int) (object, bool) {
	objects, _ := r.objects(workloadID)
	for _, o := range objects {
		if o.GetLabels()[LabelDispatch] == strconv.Itoa(dispatch) {
			return o, true
		}
	}
	return object{}, false
}

// runnerSetStatus reports a runner set by its listener pod alone (reference §3.11):
// it runs while the listener runs. Its runner pods come and go with the CI jobs and
// do not make it end. Until the controller has made the listener, the runner set
// reads Pending on its planned node.
func runnerSetStatus(workloadID string, set object, pods []*corev1.Pod) []runtime.PodStatus {
	for _, p := range pods {
		if p.Labels[labelComponent] == listenerComponent && p.DeletionTimestamp == nil {
			return []runtime.PodStatus{podStatus(p)}
		}
	}
	var node string
	if nodes, _ := placementNodes(set.GetAnnotations()); len(nodes) > 0 {
		node = nodes[0]
	}
	return []runtime.PodStatus{{PodID: workload.PodID(workloadID, apiv1.KindAutoscalingRunnerSet, 0), Node: node,
		Phase: workload.PodPending, Reason: reasonCreating,
		Message: "waiting for the actions-runner-controller to start the runner set's listener"}}
}

// Reasons of the stand-ins of pods an object has not made: none of them yet
// (Creating), or not this rank (NotCreated).
const (
	reasonCreating   = "Creating"
	reasonNotCreated = "NotCreated"
)

// podStatuses are the pods' statuses by rank; with pad, a planned rank without a pod
// reads as a Pending one.
func podStatuses(workloadID string, pods []*corev1.Pod, placement []string, pad bool) []runtime.PodStatus {
	if len(pods) == 0 {
		return nil
	}
	ranks, err := assignRanks(live(pods), placement)
	if err != nil {
		ranks = map[string]int{}
	}
	out := make([]runtime.PodStatus, 0, len(placement))
	for _, p := range pods {
		s := podStatus(p)
		s.Rank = -1
		if rank, ok := ranks[p.Name]; ok {
			s.Rank = rank
		} else if rank, ok := knownRank(p); ok {
			s.Rank = rank
		}
		out = append(out, s)
	}
	kind := pods[0].Labels[LabelKind]
	for rank, node := range placement {
		if pad && !slices.ContainsFunc(out, func(p runtime.PodStatus) bool { return p.Rank == rank }) {
			out = append(out, runtime.PodStatus{PodID: workload.PodID(workloadID, kind, rank), Rank: rank,
				Node: node, Phase: workload.PodPending, Reason: reasonNotCreated})
		}
	}
	slices.SortFunc(out, func(a, b runtime.PodStatus) int {
		if a.Rank != b.Rank {
			return a.Rank - b.Rank
		}
		return strings.Compare(a.PodID, b.PodID)
	})
	return out
}

// creating stands in for the pods of a dispatch whose object o exists but whose pods
// its controller has not made yet: Pending, one per planned rank.
func creating(workloadID string, o object) []runtime.PodStatus {
	nodes, _ := placementNodes(o.GetAnnotations())
	out := make([]runtime.PodStatus, 0, len(nodes))
	for rank, node := range nodes {
		out = append(out, runtime.PodStatus{PodID: workload.PodID(workloadID, o.GetLabels()[LabelKind], rank),
			Rank: rank, Node: node, Phase: workload.PodPending, Reason: reasonCreating})
	}
	return out
}

// deleting stands in for the pods an object being deleted may still make or hold:
// one Pending pod per object left, so a stop is not over before the object is gone.
func (r *Runtime) deleting(workloadID string) ([]runtime.PodStatus, error) {
	objects, err := r.objects(workloadID)
	var out []runtime.PodStatus
	for _, o := range objects {
		out = append(out, runtime.PodStatus{PodID: o.GetName(), Rank: -1, Phase: workload.PodPending,
			Reason: "Deleting", Message: o.GetKind() + " " + o.GetName() + " is being deleted"})
	}
	return out, err
}

// notEnded keeps the pods that have not ended, those being deleted included.
func notEnded(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed {
			out = append(out, p)
		}
	}
	return out
}

// live keeps the pods that are neither ended nor being deleted.
func live(pods []*corev1.Pod) []*corev1.Pod {
	return slices.DeleteFunc(notEnded(pods), func(p *corev1.Pod) bool { return p.DeletionTimestamp != nil })
}

// workloadPods lists the cached pods of a workload, by name; dispatch "" means every
// dispatch.
func (r *Runtime) workloadPods(workloadID, dispatch string) ([]*corev1.Pod, error) {
	objs, err := r.podIndex.ByIndex(byWorkload, workloadID)
	if err != nil {
		return nil, err
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok && (dispatch == "" || p.Labels[LabelDispatch] == dispatch) {
			pods = append(pods, p)
		}
	}
	slices.SortFunc(pods, func(a, b *corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	return pods, nil
}

// podStatus maps a pod's phase and its main container's state.
func podStatus(p *corev1.Pod) runtime.PodStatus {
	s := runtime.PodStatus{PodID: p.Name, Node: p.Spec.NodeName, HostIP: p.Status.HostIP, PodIP: p.Status.PodIP,
		Reason: p.Status.Reason, Message: p.Status.Message, Template: p.Labels[LabelTemplate]}
	if p.Status.StartTime != nil {
		s.StartTime = p.Status.StartTime.Time
	}
	switch p.Status.Phase {
	case corev1.PodRunning:
		s.Phase, s.Ready = workload.PodRunning, podReady(p)
	case corev1.PodSucceeded:
		s.Phase = workload.PodSucceeded
	case corev1.PodFailed:
		s.Phase = workload.PodFailed
	default:
		s.Phase = workload.PodPending
	}
	for _, c := range p.Status.ContainerStatuses {
		s.Restarts += int(c.RestartCount)
		if w := c.State.Waiting; w != nil && w.Message != "" && s.Phase == workload.PodPending {
			s.Reason, s.Message = w.Reason, w.Message // why it has not started: an image pull, say
		}
		if t := c.State.Terminated; t != nil {
			s.ExitCode, s.Reason = t.ExitCode, t.Reason
			if t.Message != "" {
				s.Message = t.Message
			}
			if t.FinishedAt.After(s.EndTime) {
				s.EndTime = t.FinishedAt.Time
			}
		}
	}
	return s
}

// podReady reads the pod's Ready condition: its containers run and its readiness
// probe passes (on the test control plane, KWOK sets it as a kubelet would).
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// pod finds one pod of the workload by name in the cache.
func (r *Runtime) pod(workloadID, podID string) (*corev1.Pod, error) {
	pods, err := r.workloadPods(workloadID, "")
	if err != nil {
		return nil, err
	}
	for _, p := range pods {
		if p.Name == podID {
			return p, nil
		}
	}
	return nil, runtime.ErrNotFound
}

// Logs reads the pod's log through the pods/log API.
func (r *Runtime) Logs(ctx context.Context, ref runtime.Ref, podID string, opts runtime.LogOptions) ([]string, error) {
	p, err := r.pod(ref.WorkloadID, podID)
	if err != nil {
		return nil, err
	}
	o := &corev1.PodLogOptions{Container: opts.Container}
	if o.Container == "" {
		o.Container = p.Spec.Containers[0].Name
	} else if !slices.Contains(containerNames(p), o.Container) {
		return nil, runtime.ErrNotFound
	}
	if opts.TailLines > 0 {
		n := int64(opts.TailLines)
		o.TailLines = &n
	}
	if opts.SinceSeconds > 0 {
		n := int64(opts.SinceSeconds)
		o.SinceSeconds = &n
	}
	raw, err := r.client.CoreV1().Pods(p.Namespace).GetLogs(p.Name, o).DoRaw(ctx)
	switch {
	case apierrors.IsNotFound(err):
		return nil, runtime.ErrNotFound // deleted since the cache saw it
	case apierrors.IsBadRequest(err):
		return []string{}, nil // its container has not started: nothing written yet
	case err != nil:
		return nil, err
	}
	text := strings.TrimSuffix(string(raw), "\n")
	if text == "" {
		return []string{}, nil
	}
	return strings.Split(text, "\n"), nil
}

// Containers names the pod's containers (not its init containers).
func (r *Runtime) Containers(ctx context.Context, ref runtime.Ref, podID string) ([]string, error) {
	p, err := r.pod(ref.WorkloadID, podID)
	if err != nil {
		return nil, err
	}
	return containerNames(p), nil
}

// Service reads the workload's Service: its type, cluster IP and first port.
func (r *Runtime) Service(ctx context.Context, ref runtime.Ref) (runtime.Endpoint, error) {
	svc, err := r.client.CoreV1().Services(ref.Workspace).Get(ctx, ref.WorkloadID, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || (err == nil && len(svc.Spec.Ports) == 0) {
		return runtime.Endpoint{}, runtime.ErrNotFound
	}
	if err != nil {
		return runtime.Endpoint{}, err
	}
	p := svc.Spec.Ports[0]
	return runtime.Endpoint{Namespace: svc.Namespace, ClusterIP: svc.Spec.ClusterIP, Type: string(svc.Spec.Type),
		Protocol: string(p.Protocol), PortName: p.Name, Port: int(p.Port), TargetPort: p.TargetPort.IntValue(),
		NodePort: int(p.NodePort)}, nil
}
