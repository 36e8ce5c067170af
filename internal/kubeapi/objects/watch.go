package objects

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/kubeapi/request"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// Object is an object of a kind Berth keeps as workloads.
type Object interface {
	runtime.Object
	metav1.Object
}

// Kind is how a watch reads one kind of object from Berth's workloads.
type Kind[T Object] struct {
	// Name is the kind as Berth's object use cases name it.
	Name     string
	Resource schema.GroupResource
	// New is an empty object: a bookmark's.
	New func() T
	// Convert is the object of workload w at change number rv, in namespace ns.
	Convert func(w *workload.Workload, rv int64, ns string) (T, error)
	// Fields are the fields of obj a field selector may name.
	Fields func(obj T) fields.Set
	// Served reports whether a stored workload is an object of the kind.
	Served func(w *workload.Workload) bool
}

// Watch follows the objects a list with opts shows (a bookmark, where asked for,
// every heartbeat of Berth's watches that shows nothing), from opts.ResourceVersion (a
// change number of Berth's workload change log), or from now with an ADDED event
// per object when it names none ("0" included, as the watch cache answers): list
// is then the storage's list of opts, its objects and resourceVersion.
func (k Kind[T]) Watch(ctx context.Context, svc *usecase.Service, opts *metainternalversion.ListOptions,
	list func() ([]T, string, error)) (watch.Interface, error) {
	sel := SelectionOf(opts)
	caller, ref, err := request.ListRef(ctx, svc, k.Name, sel.Name())
	if err != nil {
		return nil, request.Error(ctx, err, k.Resource, "")
	}
	var initial []T
	after, err := ParseRV(opts.ResourceVersion)
	if err != nil {
		return nil, err
	}
	if after == 0 {
		var at string
		if initial, at, err = list(); err != nil {
			return nil, err
		}
		if after, err = ParseRV(at); err != nil {
			return nil, err
		}
	}
	nss, err := NamespacesOf(ctx, svc)
	if err != nil {
		return nil, request.Error(ctx, err, k.Resource, "")
	}
	ww, err := svc.WatchObjects(ctx, caller, ref, after, true)
	if err != nil {
		return nil, request.Error(ctx, err, k.Resource, "")
	}
	w := &watcher[T]{kind: k, ww: ww, every: svc.Watch.Heartbeat(), sel: sel, ns: nss, bookmarks: opts.AllowWatchBookmarks,
		last: after, shown: map[string]bool{}, out: make(chan watch.Event), done: make(chan struct{})}
	go w.run(ctx, initial)
	return w, nil
}

// watcher turns the events of a Berth watch into Kubernetes watch events: the
// selectors are applied here, so an object whose labels stop matching is DELETED
// from the watch's view and one that starts matching is ADDED.
type watcher[T Object] struct {
	kind      Kind[T]
	ww        *usecase.WorkloadWatch
	every     time.Duration // a bookmark is due after this long without an event
	sel       Selection
	ns        Namespaces
	bookmarks bool
	last      int64           // the newest change number sent
	shown     map[string]bool // whether each namespace/name seen is in the watch's view
	out       chan watch.Event
	done      chan struct{}
	stop      sync.Once
}

// Stop ends the watch.
func (w *watcher[T]) Stop() { w.stop.Do(func() { close(w.done) }) }

// ResultChan is the watch's events.
func (w *watcher[T]) ResultChan() <-chan watch.Event { return w.out }

func (w *watcher[T]) run(ctx context.Context, initial []T) {
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
func (w *watcher[T]) eventOf(ev *apiv1.WatchEvent) watch.Event {
	if ev != nil && ev.ResourceVersion != "" {
		if n, err := strconv.ParseInt(ev.ResourceVersion, 10, 64); err == nil {
			w.last = n
		}
	}
	if ev == nil || ev.Type == "" {
		if !w.bookmarks {
			return watch.Event{}
		}
		mark := w.kind.New()
		mark.SetResourceVersion(RV(w.last))
		return watch.Event{Type: watch.Bookmark, Object: mark}
	}
	change, ok := ev.Object.(usecase.ObjectChange)
	if !ok {
		return watch.Event{}
	}
	obj, err := w.kind.Convert(change.Workload, w.last, w.ns.Of(change.Workload))
	if err != nil {
		return watch.Event{Type: watch.Error, Object: &apierrors.NewInternalError(err).ErrStatus}
	}
	return w.judge(obj, ev.Type == apiv1.WatchDeleted, w.wasShown(change.Previous))
}

// wasShown reports whether the watch showed prev, the workload before a write:
// it did if it listed it, or if it was there and matched the selectors.
func (w *watcher[T]) wasShown(prev *workload.Workload) bool {
	if prev == nil || prev.IsDeleted || !w.kind.Served(prev) {
		return false
	}
	obj, err := w.kind.Convert(prev, w.last, w.ns.Of(prev))
	if err != nil {
		return false
	}
	if shown, known := w.shown[key(obj)]; known {
		return shown
	}
	return w.matches(obj)
}

// judge is the event a write of obj makes in the watch's view.
func (w *watcher[T]) judge(obj T, gone, was bool) watch.Event {
	is := !gone && w.matches(obj)
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

func (w *watcher[T]) matches(obj T) bool { return w.sel.Matches(obj.GetLabels(), w.kind.Fields(obj)) }

// key names an object in every namespace.
func key(obj metav1.Object) string { return obj.GetNamespace() + "/" + obj.GetName() }

// send hands ev on (nothing for an empty one); false once the watch is over.
func (w *watcher[T]) send(ctx context.Context, ev watch.Event) bool {
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
func (w *watcher[T]) fail(ctx context.Context, err error) {
	if ctx.Err() != nil || errors.Is(err, usecase.ErrWatchEnded) {
		return
	}
	var status runtime.Object = &apierrors.NewInternalError(err).ErrStatus
	if s, ok := request.Error(ctx, err, w.kind.Resource, "").(apierrors.APIStatus); ok {
		st := s.Status()
		status = &st
	}
	w.send(ctx, watch.Event{Type: watch.Error, Object: status})
}
