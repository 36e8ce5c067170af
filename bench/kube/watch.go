package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime/kube"
)

// watcher records when a gang's first pod is first seen, when a pod of it was last
// seen bound but not yet Running, and when each of its pods is first seen Running.
type watcher struct {
	mu      sync.Mutex
	label   string                          // the pod label naming the gang
	created map[string]time.Time            // gang → its first pod first seen
	bound   map[string]time.Time            // gang → last seen a pod of it on a node, not yet Running
	running map[string]map[string]time.Time // gang → pod → first seen Running
}

// watch starts an informer on the pods that carry label until ctx ends.
func watch(ctx context.Context, client kubernetes.Interface, label string) (*watcher, error) {
	w := &watcher{label: label, created: map[string]time.Time{}, bound: map[string]time.Time{},
		running: map[string]map[string]time.Time{}}
	f := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = label }))
	inf := f.Core().V1().Pods().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    w.seen,
		UpdateFunc: func(_, obj any) { w.seen(obj) },
	})
	if err != nil {
		return nil, err
	}
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return nil, fmt.Errorf("the %v informer did not sync", typ)
		}
	}
	return w, nil
}

func (w *watcher) seen(obj any) {
	p, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	now := time.Now()
	w.mu.Lock()
	defer w.mu.Unlock()
	gang := p.Labels[w.label]
	if _, ok := w.created[gang]; !ok {
		w.created[gang] = now
	}
	if p.Spec.NodeName != "" && p.Status.Phase != corev1.PodRunning {
		w.bound[gang] = now
	}
	if p.Status.Phase != corev1.PodRunning || p.Spec.NodeName == "" {
		return
	}
	if w.running[gang] == nil {
		w.running[gang] = map[string]time.Time{}
	}
	if _, ok := w.running[gang][p.Name]; !ok {
		w.running[gang][p.Name] = now
	}
}

// watchObjects records when each workload's Deployment or StatefulSet is first seen,
// in objects (workload id → time), until ctx ends.
func watchObjects(ctx context.Context, client kubernetes.Interface, kind string) (*objectTimes, error) {
	o := &objectTimes{seen: map[string]time.Time{}}
	f := informers.NewSharedInformerFactoryWithOptions(client, 0,
		informers.WithTweakListOptions(func(lo *metav1.ListOptions) { lo.LabelSelector = kube.LabelWorkload }))
	inf := f.Apps().V1().Deployments().Informer()
	if kind == apiv1.KindStatefulSet {
		inf = f.Apps().V1().StatefulSets().Informer()
	}
	if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: o.add}); err != nil {
		return nil, err
	}
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return nil, fmt.Errorf("the %v informer did not sync", typ)
		}
	}
	return o, nil
}

// objectTimes is when each workload's object was first seen.
type objectTimes struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (o *objectTimes) add(obj any) {
	m, err := meta.Accessor(obj)
	if err != nil {
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.seen[m.GetLabels()[kube.LabelWorkload]] = time.Now()
}

// since returns, per workload, how long after its submit its object appeared.
func (o *objectTimes) since(submitted map[string]time.Time) []time.Duration {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []time.Duration
	for id, t := range o.seen {
		if s, ok := submitted[id]; ok {
			out = append(out, t.Sub(s))
		}
	}
	return out
}

// allRunning returns when the last pod of each gang was first seen Running, once
// every gang has all its pods Running; ok is false before that.
func (w *watcher) allRunning(sizes map[string]int) (last map[string]time.Time, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	last = map[string]time.Time{}
	for gang, n := range sizes {
		pods := w.running[gang]
		if len(pods) < n {
			return nil, false
		}
		for _, t := range pods {
			if t.After(last[gang]) {
				last[gang] = t
			}
		}
	}
	return last, true
}

// wait polls until every gang runs, then turns submit times into the phase's numbers.
func (w *watcher) wait(ctx context.Context, sizes map[string]int, submitted map[string]time.Time) (*phase, error) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		if last, ok := w.allRunning(sizes); ok {
			w.mu.Lock()
			defer w.mu.Unlock()
			return measure(submitted, w.created, w.bound, last), nil
		}
		select {
		case <-ctx.Done():
			w.mu.Lock()
			n := len(w.running)
			w.mu.Unlock()
			return nil, fmt.Errorf("%d of %d gangs have pods Running: %w", n, len(sizes), ctx.Err())
		case <-tick.C:
		}
	}
}

func measure(submitted, created, bound, last map[string]time.Time) *phase {
	p := &phase{}
	var first, end time.Time
	for gang, t := range last {
		s := submitted[gang]
		p.latencies = append(p.latencies, t.Sub(s))
		p.toCreated = append(p.toCreated, created[gang].Sub(s))
		p.placement = append(p.placement, t.Sub(created[gang]))
		if b, ok := bound[gang]; ok {
			p.toBound = append(p.toBound, b.Sub(s))
		}
		if first.IsZero() || s.Before(first) {
			first = s
		}
		if t.After(end) {
			end = t
		}
	}
	p.total = end.Sub(first)
	return p
}
