// Package kube is the runtime that runs workloads on a Kubernetes cluster with
// client-go: it renders each dispatch into a PyTorchJob, Deployment, StatefulSet or
// bare Pod (plus its Service) in the workspace's namespace, or for a ModelInfer into a
// record whose pods it makes and recovers itself (infer.go), binds every pod to the node
// the Berth scheduler planned for its rank through the pods/binding subresource, and
// reads status, logs and containers back from informers and the API.
//
// Berth is the scheduler of its pods: they name schedulerName "berth", so the default
// kube-scheduler never places one, and a gang's pods are bound only once all of them
// exist (see docs/architecture.md).
package kube

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"

	"github.com/berth-dev/berth/internal/kubeconfig"
	"github.com/berth-dev/berth/internal/runtime"
)

// Config says which cluster to drive.
type Config struct {
	// Kubeconfig is the path of a kubeconfig file, KubeconfigData the text of one (it
	// wins when set); Context one of its contexts ("": its current context).
	Kubeconfig, Context string
	KubeconfigData      []byte
	// Instance labels everything this runtime creates (LabelInstance); it sees and
	// touches nothing of another instance.
	Instance string
	// QPS bounds the requests per second to the API server (burst twice that); 0
	// means DefaultQPS.
	QPS int
	Log *slog.Logger
}

// binders is how many gangs are bound at once (each in rank order).
const binders = 8

// DefaultQPS is the default of Config.QPS: one client carries every workload's
// creates, binds and deletes.
const DefaultQPS = 200

// The optional extras the controller finds by type assertion: a drifted signature
// would silently lose them (an Update would become a restart).
var _ runtime.Runtime = (*Runtime)(nil)
var _ runtime.ChangeTracker = (*Runtime)(nil)
var _ runtime.HealthChecker = (*Runtime)(nil)
var _ runtime.WorkloadLister = (*Runtime)(nil)
var _ runtime.Updater = (*Runtime)(nil)
var _ runtime.SecretUpdater = (*Runtime)(nil)
var _ runtime.ServiceReader = (*Runtime)(nil)
var _ runtime.Execer = (*Runtime)(nil)

// Runtime runs pods on one Kubernetes cluster. It is safe for concurrent use.
type Runtime struct {
	log      *slog.Logger
	instance string
	client   kubernetes.Interface
	// rest is the client configuration, for the streams of pods/exec.
	rest    *rest.Config
	dynamic dynamic.Interface
	nodes   corelisters.NodeLister
	pods    corelisters.PodLister
	// podIndex indexes the pods' cache by workload (byWorkload).
	podIndex cache.Indexer
	// binds holds "namespace/workload/dispatch" groups whose pods may need binding.
	binds workqueue.TypedRateLimitingInterface[bindKey]
	// inferQueue holds the ModelInfers whose pods are to be synced (infer_sync.go),
	// recovery what syncing keeps between syncs.
	inferQueue workqueue.TypedRateLimitingInterface[inferKey]
	recovery   recovery
	changed    chan struct{}
	stops      stopClock
	// changedMu guards changedIDs: the workloads whose pods or objects changed since
	// ChangedWorkloads last ran.
	changedMu  sync.Mutex
	changedIDs map[string]bool
	// events keeps why pending pods wait, from their events.
	events podEvents
	// namespaces holds the workspaces whose namespace exists.
	namespaces sync.Map
	// objectIndex holds this instance's rendered objects, by resource, indexed by
	// workload (byWorkload) as well as by namespace/name.
	objectIndex map[schema.GroupVersionResource]cache.Indexer
}

// Health asks the API server whether it is ready.
func (r *Runtime) Health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := r.client.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).Error(); err != nil {
		return fmt.Errorf("the API server is not ready: %w", err)
	}
	return nil
}

// RESTConfig loads the client configuration of a context of the kubeconfig file at
// path, at DefaultQPS.
func RESTConfig(path, context string) (*rest.Config, error) {
	return restConfig(Config{Kubeconfig: path, Context: context})
}

// restConfig is the client configuration cfg names, at its QPS.
func restConfig(cfg Config) (*rest.Config, error) {
	var rc *rest.Config
	var err error
	if cfg.KubeconfigData != nil {
		rc, err = kubeconfig.RESTConfig(cfg.KubeconfigData, cfg.Context)
	} else {
		rc, err = kubeconfig.FileRESTConfig(cfg.Kubeconfig, cfg.Context)
	}
	if err != nil {
		return nil, err
	}
	qps := cfg.QPS
	if qps <= 0 {
		qps = DefaultQPS
	}
	rc.QPS, rc.Burst = float32(qps), 2*qps
	return rc, nil
}

// New connects to the cluster, makes the priority classes, starts the informers (nodes,
// this instance's pods and objects) and the binders, which stop with ctx, and returns
// once the caches hold the cluster's current state.
func New(ctx context.Context, cfg Config) (*Runtime, error) {
	rc, err := restConfig(cfg)
	if err != nil {
		return nil, err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, err
	}
	if errs := validation.IsValidLabelValue(cfg.Instance); cfg.Instance == "" || len(errs) > 0 {
		return nil, fmt.Errorf("kube runtime: instance %q is not a label value: %v", cfg.Instance, errs)
	}
	r := &Runtime{log: cfg.Log, instance: cfg.Instance, client: client, rest: rc, dynamic: dyn, changed: make(chan struct{}, 1),
		events:     podEvents{byPod: map[types.UID]waitEvent{}},
		binds:      workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[bindKey]()),
		inferQueue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[inferKey]())}
	if r.log == nil {
		r.log = slog.Default()
	}
	if err := r.ensurePriorityClasses(ctx); err != nil {
		return nil, err
	}
	// The objects' caches first: the pods' event handlers read them (a ModelInfer
	// pod's record).
	if err := r.startObjectInformers(ctx); err != nil {
		return nil, err
	}
	if err := r.startInformers(ctx); err != nil {
		return nil, err
	}
	if err := r.startEventInformer(ctx); err != nil {
		return nil, err
	}
	for range binders {
		go r.runBinder(ctx)
	}
	for range inferSyncers {
		go r.runInferSyncer(ctx)
	}
	return r, nil
}

// startInformers watches every node and this instance's pods.
func (r *Runtime) startInformers(ctx context.Context) error {
	nodes := informers.NewSharedInformerFactory(r.client, 0)
	pods := informers.NewSharedInformerFactoryWithOptions(r.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = r.selector("") }))
	r.nodes = nodes.Core().V1().Nodes().Lister()
	podInformer := pods.Core().V1().Pods()
	if err := podInformer.Informer().AddIndexers(cache.Indexers{byWorkload: workloadOf}); err != nil {
		return err
	}
	r.pods, r.podIndex = podInformer.Lister(), podInformer.Informer().GetIndexer()
	_, err := podInformer.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { r.podChanged(obj) },
		UpdateFunc: func(_, obj any) { r.podChanged(obj) },
		DeleteFunc: func(obj any) { r.podGone(obj) },
	})
	if err != nil {
		return err
	}
	nodes.Start(ctx.Done())
	pods.Start(ctx.Done())
	go func() {
		<-ctx.Done()
		r.binds.ShutDown()
		r.inferQueue.ShutDown()
	}()
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for typ, ok := range nodes.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fmt.Errorf("the %v informer did not sync within a minute", typ)
		}
	}
	for typ, ok := range pods.WaitForCacheSync(syncCtx.Done()) {
		if !ok {
			return fmt.Errorf("the %v informer did not sync within a minute", typ)
		}
	}
	return nil
}

// byWorkload indexes pods and objects by their workload label.
const byWorkload = "workload"

func workloadOf(obj any) ([]string, error) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	return []string{m.GetLabels()[LabelWorkload]}, nil
}

// selector selects this instance's objects and pods: all of them, or one workload's.
func (r *Runtime) selector(workloadID string) string {
	if workloadID == "" {
		return LabelInstance + "=" + r.instance + "," + LabelWorkload
	}
	return LabelInstance + "=" + r.instance + "," + LabelWorkload + "=" + workloadID
}

// podChanged queues the pod's group for binding when it waits for a node, and
// tells the controller something changed.
func (r *Runtime) podChanged(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	if p.Spec.NodeName == "" && p.DeletionTimestamp == nil && p.Spec.SchedulerName == SchedulerName {
		r.binds.Add(bindKeyOf(p))
	}
	r.inferPodChanged(p, false)
	r.changedWorkload(p.Labels[LabelWorkload])
}

// podGone forgets the events of a deleted pod, and tells the controller.
func (r *Runtime) podGone(obj any) {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if p, ok := obj.(*corev1.Pod); ok {
		r.events.forget(p.UID)
		r.binds.Add(bindKeyOf(p)) // a replacement may wait for its rank
		r.inferPodChanged(p, true)
		r.changedWorkload(p.Labels[LabelWorkload])
	}
}

// changedWorkload records that something of the workload changed, and notifies.
func (r *Runtime) changedWorkload(id string) {
	r.changedMu.Lock()
	if r.changedIDs == nil {
		r.changedIDs = map[string]bool{}
	}
	r.changedIDs[id] = true
	r.changedMu.Unlock()
	r.notify()
}

// ChangedWorkloads returns the workloads whose pods or objects changed since the last
// call; it always knows which.
func (r *Runtime) ChangedWorkloads() (ids []string, all bool) {
	r.changedMu.Lock()
	defer r.changedMu.Unlock()
	ids = slices.Collect(maps.Keys(r.changedIDs))
	clear(r.changedIDs)
	return ids, false
}

// Changed is signalled whenever a pod of this instance changes, or one of its objects
// comes or goes.
func (r *Runtime) Changed() <-chan struct{} { return r.changed }

func (r *Runtime) notify() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}
