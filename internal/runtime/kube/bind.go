package kube

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// annotationRank, set by the binding on each pod, is the rank the binder gave it.
const annotationRank = "berth.io/rank"

// Labels the kubeflow training-operator and the StatefulSet controller put on pods.
const (
	labelReplicaType  = "training.kubeflow.org/replica-type"
	labelReplicaIndex = "training.kubeflow.org/replica-index"
	labelPodIndex     = "apps.kubernetes.io/pod-index"
)

// bindKey names the pods of one dispatch of a workload.
type bindKey struct{ namespace, workload, dispatch string }

func bindKeyOf(p *corev1.Pod) bindKey {
	return bindKey{p.Namespace, p.Labels[LabelWorkload], p.Labels[LabelDispatch]}
}

// runBinder binds queued groups until the queue shuts down; a group that fails is
// retried with backoff.
func (r *Runtime) runBinder(ctx context.Context) {
	for {
		key, shutdown := r.binds.Get()
		if shutdown {
			return
		}
		if err := r.bindGroup(ctx, key); err != nil && ctx.Err() == nil {
			r.log.Warn("bind pods", "workload", key.workload, "dispatch", key.dispatch, "err", err)
			r.binds.AddRateLimited(key)
		} else {
			r.binds.Forget(key)
		}
		r.binds.Done(key)
	}
}

// bindGroup binds the unbound pods of one dispatch to their planned nodes, in rank
// order, but only once every pod of the gang exists: until then none is bound. A pod
// being deleted keeps its rank, and its node's resources, until it is gone: the pod
// replacing it is bound then (its deletion queues the group again). A Deployment's
// pod left on a rank its placement dropped is deleted.
func (r *Runtime) bindGroup(ctx context.Context, key bindKey) error {
	all, err := r.workloadPods(key.workload, key.dispatch)
	if err != nil {
		return err
	}
	all = slices.DeleteFunc(all, func(p *corev1.Pod) bool {
		return p.Namespace != key.namespace || p.Spec.SchedulerName != SchedulerName // a runner set's listener
	})
	pods := live(all)
	var unbound []*corev1.Pod
	for _, p := range pods {
		if p.Spec.NodeName == "" {
			unbound = append(unbound, p)
		}
	}
	if len(pods) == 0 {
		return nil
	}
	placement, err := r.placementOf(pods[0])
	if err != nil && len(unbound) == 0 {
		return nil // the object is gone (a stop): nothing to bind
	}
	if err != nil {
		return err
	}
	if err := r.dropStrays(ctx, pods, placement); err != nil {
		return err
	}
	if len(unbound) == 0 {
		return nil
	}
	if len(pods) < len(placement) {
		return nil // the rest of the gang is not created yet; its pods queue us again
	}
	holding := notEnded(all)
	ranks, err := assignRanks(holding, placement)
	if err != nil && len(holding) > len(pods) {
		return nil // a pod being deleted still holds the rank; its deletion queues us again
	}
	if err != nil {
		return err
	}
	slices.SortFunc(unbound, func(a, b *corev1.Pod) int { return ranks[a.Name] - ranks[b.Name] })
	for _, p := range unbound {
		if err := r.bind(ctx, p, ranks[p.Name], placement[ranks[p.Name]]); err != nil {
			return err
		}
	}
	return nil
}

// dropStrays deletes the bound pods of a Deployment whose rank the placement no
// longer has: when it scaled down, its ReplicaSet chose which pods to delete, and
// pod-deletion-cost (see dropFirst) is only one of its criteria. The ReplicaSet
// makes a pod for the rank left free, bound there. As the cache may lag (another
// server may have bound new ranks already), a stray is deleted only once the
// Deployment read from the API server says so too.
func (r *Runtime) dropStrays(ctx context.Context, pods []*corev1.Pod, placement []string) error {
	confirmed := -1 // the ranks the API server's Deployment has, once read
	for _, p := range pods {
		rank, known := knownRank(p)
		owner := metav1.GetControllerOf(p)
		if !known || rank < len(placement) || p.Spec.NodeName == "" || owner == nil || owner.Kind != "ReplicaSet" {
			continue
		}
		if confirmed < 0 {
			d, err := r.dynamic.Resource(deployments).Namespace(p.Namespace).Get(ctx, p.Labels[LabelWorkload], metav1.GetOptions{})
			if err != nil {
				return fmt.Errorf("read the Deployment of pod %s: %w", p.Name, err)
			}
			nodes, ok := placementNodes(d.GetAnnotations())
			if !ok {
				return fmt.Errorf("the Deployment of pod %s has no placement", p.Name)
			}
			confirmed = len(nodes)
		}
		if rank < confirmed {
			continue
		}
		err := r.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &p.UID}})
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			return fmt.Errorf("delete pod %s of the dropped rank %d: %w", p.Name, rank, err)
		}
		r.log.Info("deleted a pod of a dropped rank", "pod", p.Name, "rank", rank)
	}
	return nil
}

// placementOf is the planned node of each rank of the pod's dispatch, as its object
// says (the bare pod of an Authoring workload is its own object). It is on the object,
// not the pod template, so that a change of replicas does not replace every pod.
func (r *Runtime) placementOf(p *corev1.Pod) ([]string, error) {
	objects, err := r.objects(p.Labels[LabelWorkload])
	if err != nil {
		return nil, err
	}
	for _, o := range objects {
		if o.GetNamespace() == p.Namespace && o.GetLabels()[LabelDispatch] == p.Labels[LabelDispatch] {
			if nodes, ok := placementNodes(o.GetAnnotations()); ok {
				return nodes, nil
			}
		}
	}
	if nodes, ok := placementNodes(p.Annotations); ok && len(p.OwnerReferences) == 0 {
		return nodes, nil // a bare pod
	}
	return nil, fmt.Errorf("the object of pod %s/%s is not in the cache yet", p.Namespace, p.Name)
}

// assignRanks gives each pod its rank: from its operator's labels where it has them
// (PyTorchJob, StatefulSet), from its binding when it is bound, and otherwise
// (Deployment) the lowest rank no other pod holds. A Deployment's rollout may surge
// (maxSurge): the pods it makes beyond its replicas, while every rank is held, each
// share the rank, and the node, of a running pod of an older revision that the
// rollout is to replace.
func assignRanks(pods []*corev1.Pod, placement []string) (map[string]int, error) {
	ranks := map[string]int{}
	holders := make([][]*corev1.Pod, len(placement))
	var free []*corev1.Pod
	for _, p := range pods {
		rank, ok := knownRank(p)
		if !ok {
			free = append(free, p)
			continue
		}
		if rank < 0 || rank >= len(placement) {
			return nil, fmt.Errorf("pod %s has rank %d, but the placement has %d nodes", p.Name, rank, len(placement))
		}
		ranks[p.Name] = rank
		holders[rank] = append(holders[rank], p)
	}
	surge := len(live(pods)) - len(placement) // pods a rollout made beyond the replicas
	next := 0
	for _, p := range free {
		for next < len(holders) && len(holders[next]) > 0 {
			next++
		}
		rank := next
		if rank == len(holders) {
			if rank = sharedRank(p, holders); rank < 0 || surge <= 0 {
				return nil, fmt.Errorf("more pods than the %d planned", len(placement))
			}
			surge--
		}
		ranks[p.Name] = rank
		holders[rank] = append(holders[rank], p)
	}
	return ranks, nil
}

// sharedRank is the lowest rank that a surge pod p may share: held by one running
// pod alone, of another ReplicaSet (an older revision of the Deployment); -1 when
// there is none.
func sharedRank(p *corev1.Pod, holders [][]*corev1.Pod) int {
	owner := metav1.GetControllerOf(p)
	if owner == nil || owner.Kind != "ReplicaSet" {
		return -1
	}
	for rank, h := range holders {
		if len(h) != 1 || h[0].DeletionTimestamp != nil {
			continue
		}
		if o := metav1.GetControllerOf(h[0]); o != nil && o.Kind == "ReplicaSet" && o.UID != owner.UID {
			return rank
		}
	}
	return -1
}

// knownRank is a pod's rank when its labels or its binding say it.
func knownRank(p *corev1.Pod) (int, bool) {
	if v, ok := p.Annotations[annotationRank]; ok {
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	if t, ok := p.Labels[labelReplicaType]; ok {
		n, err := strconv.Atoi(p.Labels[labelReplicaIndex])
		if strings.EqualFold(t, "worker") {
			n++ // Master is rank 0, Worker i is rank i+1
		}
		return n, err == nil
	}
	if v, ok := p.Labels[labelPodIndex]; ok {
		n, err := strconv.Atoi(v)
		return n, err == nil
	}
	if len(p.OwnerReferences) > 0 && p.OwnerReferences[0].Kind == "StatefulSet" {
		// Before Kubernetes 1.28 no label says it: the ordinal ends the pod's name.
		i := strings.LastIndexByte(p.Name, '-')
		n, err := strconv.Atoi(p.Name[i+1:])
		return n, err == nil
	}
	if p.OwnerReferences == nil { // the bare pod of an Authoring workload
		return 0, true
	}
	return 0, false
}

// bind binds p to node, recording its rank on the pod.
func (r *Runtime) bind(ctx context.Context, p *corev1.Pod, rank int, node string) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: p.Name, UID: p.UID,
			Annotations: map[string]string{annotationRank: strconv.Itoa(rank)}},
		Target: corev1.ObjectReference{Kind: "Node", Name: node},
	}
	err := r.client.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{})
	if apierrors.IsConflict(err) || apierrors.IsNotFound(err) {
		return nil // bound meanwhile, or gone
	}
	if err != nil {
		return fmt.Errorf("bind pod %s to %s: %w", p.Name, node, err)
	}
	return nil
}
