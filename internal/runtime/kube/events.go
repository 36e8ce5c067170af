package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/tools/cache"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// waitEvent is the latest event of a pod that says why it waits to start.
type waitEvent struct {
	reason, message string
	at              time.Time
}

// podEvents keeps the waitEvent of each pending pod of this instance, by pod UID.
type podEvents struct {
	mu    sync.Mutex
	byPod map[types.UID]waitEvent
}

// startEventInformer watches the events of pods, keeping those of this instance's
// pods that say why a pod waits (reference §4.6).
func (r *Runtime) startEventInformer(ctx context.Context) error {
	r.events.byPod = map[types.UID]waitEvent{}
	factory := informers.NewSharedInformerFactoryWithOptions(r.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = "involvedObject.kind=Pod" }))
	inf := factory.Core().V1().Events().Informer()
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    r.eventSeen,
		UpdateFunc: func(_, obj any) { r.eventSeen(obj) },
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	syncCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if !cache.WaitForCacheSync(syncCtx.Done(), inf.HasSynced) {
		return fmt.Errorf("the event informer did not sync within a minute")
	}
	return nil
}

// eventSeen records what an event of one of this instance's pods says about why the
// pod waits, and tells the controller.
func (r *Runtime) eventSeen(obj any) {
	e, ok := obj.(*corev1.Event)
	if !ok || e.InvolvedObject.Kind != "Pod" {
		return
	}
	p, err := r.pods.Pods(e.InvolvedObject.Namespace).Get(e.InvolvedObject.Name)
	if err != nil || p.UID != e.InvolvedObject.UID {
		return // not a pod of this instance (or an earlier pod of that name)
	}
	if r.events.record(p.UID, e) {
		r.changedWorkload(p.Labels[LabelWorkload])
	}
}

// eventTime is when an event last happened.
func eventTime(e *corev1.Event) time.Time {
	switch {
	case !e.LastTimestamp.IsZero():
		return e.LastTimestamp.Time
	case !e.EventTime.IsZero():
		return e.EventTime.Time
	}
	return e.CreationTimestamp.Time
}

// record keeps what e says about why pod waits, by the reference's rules: a Normal
// Pulling, or a Warning whose reason begins with Failed (FailedMount...), BackOff or
// FreeDiskSpaceFailed, sets it; a Pulled clears a Pulling; messages that say
// something "already exists" are ignored, as are events older than the one kept.
// It reports whether the pod's waitEvent changed.
func (pe *podEvents) record(pod types.UID, e *corev1.Event) bool {
	if strings.Contains(e.Message, "already exists") {
		return false
	}
	pulled := e.Type == corev1.EventTypeNormal && e.Reason == "Pulled"
	sets := (e.Type == corev1.EventTypeNormal && e.Reason == "Pulling") ||
		(e.Type == corev1.EventTypeWarning && (strings.HasPrefix(e.Reason, "Failed") || e.Reason == "BackOff" ||
			e.Reason == "FreeDiskSpaceFailed"))
	if !pulled && !sets {
		return false
	}
	at := eventTime(e)
	pe.mu.Lock()
	defer pe.mu.Unlock()
	kept, ok := pe.byPod[pod]
	if ok && at.Before(kept.at) {
		return false
	}
	if pulled {
		if !ok || kept.reason != "Pulling" {
			return false
		}
		delete(pe.byPod, pod)
		return true
	}
	pe.byPod[pod] = waitEvent{reason: e.Reason, message: e.Message, at: at}
	return true
}

// forget drops what is kept of a pod that is gone.
func (pe *podEvents) forget(pod types.UID) {
	pe.mu.Lock()
	delete(pe.byPod, pod)
	pe.mu.Unlock()
}

// explain gives each pending pod of out that has no reason of its own (a waiting
// container) the reason its latest event gives; pods are the pods of out, by name.
func (pe *podEvents) explain(out []runtime.PodStatus, pods []*corev1.Pod) {
	uid := make(map[string]types.UID, len(pods))
	for _, p := range pods {
		uid[p.Name] = p.UID
	}
	pe.mu.Lock()
	defer pe.mu.Unlock()
	for i := range out {
		s := &out[i]
		if s.Phase != workload.PodPending || s.Message != "" {
			continue
		}
		if ev, ok := pe.byPod[uid[s.PodID]]; ok {
			s.Reason, s.Message = ev.reason, ev.message
		}
	}
}
