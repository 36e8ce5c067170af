package modelinfers

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/kubeapi/request"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// Watch follows the ModelInfers a list with opts shows (a bookmark, where asked for,
// every heartbeat of Berth's watches that shows nothing), from opts.ResourceVersion (a
// change number of Berth's workload change log), or from now with an ADDED event
// per ModelInfer when it names none ("0" included, as the watch cache answers).
func (s *Storage) Watch(ctx context.Context, opts *metainternalversion.ListOptions) (watch.Interface, error) {
	sel := selectionOf(opts)
	caller, ref, err := request.ListRef(ctx, s.svc, Kind, sel.name())
	if err != nil {
		return nil, request.Error(ctx, err, Resource, "")
	}
	var initial []*volcano.ModelInfer
	after, err := parseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	if after == 0 {
		list, err := s.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		l := list.(*volcano.ModelInferList)
		for i := range l.Items {
			initial = append(initial, &l.Items[i])
		}
		if after, err = parseRV(l.ResourceVersion); err != nil {
			return nil, err
		}
	}
	nss, err := s.namespacesOf(ctx)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, "")
	}
	ww, err := s.svc.WatchObjects(ctx, caller, ref, after, true)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, "")
	}
	w := &watcher{ww: ww, every: s.svc.Watch.Heartbeat(), sel: sel, ns: nss, bookmarks: opts.AllowWatchBookmarks, last: after,
		shown: map[string]bool{}, out: make(chan watch.Event), done: make(chan struct{})}
	go w.run(ctx, initial)
	return w, nil
}

// parseRV reads a resourceVersion; "" and "0" are 0: from now.
func parseRV(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, apierrors.NewBadRequest("invalid resourceVersion " + strconv.Quote(s) + ": must be a resourceVersion Berth gave")
	}
	return n, nil
}

// watcher turns the events of a Berth watch into Kubernetes watch events: the
// selectors are applied here, so a ModelInfer whose labels stop matching is DELETED
// from the watch's view and one that starts matching is ADDED.
type watcher struct {
	ww        *usecase.WorkloadWatch
	every     time.Duration // a bookmark is due after this long without an event
	sel       selection
	ns        namespaces
	bookmarks bool
	last      int64           // the newest change number sent
	shown     map[string]bool // whether each namespace/name seen is in the watch's view
	out       chan watch.Event
	done      chan struct{}
	stop      sync.Once
}

// Stop ends the watch.
func (w *watcher) Stop() { w.stop.Do(func() { close(w.done) }) }

// ResultChan is the watch's events.
func (w *watcher) ResultChan() <-chan watch.Event { return w.out }

func (w *watcher) run(ctx context.Context, initial []*volcano.ModelInfer) {
	defer close(w.out)
	defer w.ww.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-w.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	for _, obj := range initial {
		w.shown[key(obj)] = true
		if !w.send(ctx, watch.Event{Type: watch.Added, Object: obj}) {
			return
		}
	}
	for {
		ev, err := w.ww.Next(ctx, w.every)
		if err != nil {
			w.fail(ctx, err)
			return
		}
		if !w.send(ctx, w.eventOf(ev)) {
			return
		}
	}
}

// eventOf is the Kubernetes event of a Berth one; a heartbeat or a Berth bookmark
// is a bookmark where the client asked for them (else nothing: Type "").
func (w *watcher) eventOf(ev *apiv1.WatchEvent) watch.Event {
	if ev != nil && ev.ResourceVersion != "" {
		if n, err := strconv.ParseInt(ev.ResourceVersion, 10, 64); err == nil {
			w.last = n
		}
	}
	if ev == nil || ev.Type == "" {
		if !w.bookmarks {
			return watch.Event{}
		}
		return watch.Event{Type: watch.Bookmark, Object: &volcano.ModelInfer{ObjectMeta: metav1.ObjectMeta{ResourceVersion: rv(w.last)}}}
	}
	change, ok := ev.Object.(usecase.ObjectChange)
	if !ok {
		return watch.Event{}
	}
	obj, err := toObject(change.Workload, w.last, w.ns.of(change.Workload))
	if err != nil {
		return watch.Event{Type: watch.Error, Object: &apierrors.NewInternalError(err).ErrStatus}
	}
	return w.judge(obj, ev.Type == apiv1.WatchDeleted, w.wasShown(change.Previous))
}

// wasShown reports whether the watch showed prev, the workload before a write:
// it did if it listed it, or if it was there and matched the selectors.
func (w *watcher) wasShown(prev *workload.Workload) bool {
	if prev == nil || prev.IsDeleted || prev.Infer == nil {
		return false
	}
	obj, err := toObject(prev, w.last, w.ns.of(prev))
	if err != nil {
		return false
	}
	if shown, known := w.shown[key(obj)]; known {
		return shown
	}
	return w.sel.matches(obj)
}

// judge is the event a write of obj makes in the watch's view.
func (w *watcher) judge(obj *volcano.ModelInfer, gone, was bool) watch.Event {
	is := !gone && w.sel.matches(obj)
	w.shown[key(obj)] = is
	switch {
	case !was && is:
		return watch.Event{Type: watch.Added, Object: obj}
	case was && is:
		return watch.Event{Type: watch.Modified, Object: obj}
	case was && !is:
		return watch.Event{Type: watch.Deleted, Object: obj}
	}
	return watch.Event{}
}

// key names a ModelInfer in every namespace.
func key(w *volcano.ModelInfer) string { return w.Namespace + "/" + w.Name }

// send hands ev on (nothing for an empty one); false once the watch is over.
func (w *watcher) send(ctx context.Context, ev watch.Event) bool {
	if ev.Type == "" {
		return true
	}
	select {
	case w.out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// fail ends the watch with an ERROR event, unless it ended because it was
// stopped or the server is stopping (the client watches again, elsewhere or later).
func (w *watcher) fail(ctx context.Context, err error) {
	if ctx.Err() != nil || errors.Is(err, usecase.ErrWatchEnded) {
		return
	}
	var status runtime.Object = &apierrors.NewInternalError(err).ErrStatus
	if s, ok := request.Error(ctx, err, Resource, "").(apierrors.APIStatus); ok {
		st := s.Status()
		status = &st
	}
	w.send(ctx, watch.Event{Type: watch.Error, Object: status})
}
