package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
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

// podEventsSelector selects the events of pods.
const podEventsSelector = "involvedObject.kind=Pod"

// startEventInformer watches the events of pods, keeping those of this instance's
// pods that say why a pod waits (reference §4.6). The events only explain: where
// Berth may not read them (RBAC), it logs so and goes on without; it does not wait
// for the first list either.
func (r *Runtime) startEventInformer(ctx context.Context) error {
	_, err := r.client.CoreV1().Events("").List(ctx, metav1.ListOptions{FieldSelector: podEventsSelector, Limit: 1})
	if apierrors.IsForbidden(err) {
		r.log.Warn("Berth may not read events: pending pods will not say why from them", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("list events: %w", err)
	}
	factory := informers.NewSharedInformerFactoryWithOptions(r.client, 0,
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.FieldSelector = podEventsSelector }))
	_, err = factory.Core().V1().Events().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{
		AddFunc:    r.eventSeen,
		UpdateFunc: func(_, obj any) { r.eventSeen(obj) },
	})
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
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
// FreeDiskSpaceFailed, sets it; a Pulled clears a Pulling (and is kept, so that the
// Pulling is not taken again when the informer lists the events anew); messages that
// say something "already exists" are ignored, as are events older than the one kept.
// It reports whether the pod's reason changed.
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
		if ok && kept.reason != "Pulling" {
			return false
		}
		pe.byPod[pod] = waitEvent{reason: "Pulled", at: at}
		return ok
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
		if ev, ok := pe.byPod[uid[s.PodID]]; ok && ev.reason != "Pulled" {
			s.Reason, s.Message = ev.reason, ev.message
		}
	}
}
