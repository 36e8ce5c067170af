// Package workloads stores seed 002's compute.miloapis.com Workloads as Berth
// workloads: the REST storage the generic API server serves them with (get, list,
// create, update and patch, delete, watch, Table), and its scale and status
// subresources. Berth's use cases authorize every request and own the workload;
// this package only converts between the object and Berth's workload.
package workloads

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	apiv1 "github.com/berth-dev/berth/api/v1"
	compute "github.com/berth-dev/berth/internal/kubeapi/compute/v1alpha1"
	"github.com/berth-dev/berth/internal/kubeapi/objects"
	"github.com/berth-dev/berth/internal/kubeapi/request"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// Resource is the group and resource of Workloads.
var Resource = compute.SchemeGroupVersion.WithResource("workloads").GroupResource()

// Storage is the REST storage of Workloads.
type Storage struct {
	objects.Table[*compute.Workload]
	svc *usecase.Service
}

// New returns the storage of Workloads over svc.
func New(svc *usecase.Service) *Storage { return &Storage{Table: table, svc: svc} }

var (
	_ rest.StandardStorage      = (*Storage)(nil)
	_ rest.SingularNameProvider = (*Storage)(nil)
	_ rest.ShortNamesProvider   = (*Storage)(nil)
	_ rest.CategoriesProvider   = (*Storage)(nil)
)

// New returns an empty Workload.
func (*Storage) New() runtime.Object { return &compute.Workload{} }

// NewList returns an empty WorkloadList.
func (*Storage) NewList() runtime.Object { return &compute.WorkloadList{} }

// Destroy releases nothing: the store belongs to the server.
func (*Storage) Destroy() {}

// NamespaceScoped: a Workload lives in a project's namespace, a Berth workspace.
func (*Storage) NamespaceScoped() bool { return true }

// GetSingularName is the singular of the resource, for kubectl.
func (*Storage) GetSingularName() string { return "workload" }

// ShortNames are none: "wl" would be a guess users do not expect.
func (*Storage) ShortNames() []string { return nil }

// Categories put Workloads in `kubectl get all`.
func (*Storage) Categories() []string { return []string{"all"} }

// Get returns the named Workload of the request's namespace.
func (s *Storage) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	caller, ref, err := request.Ref(ctx, s.svc, Kind, name)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, name)
	}
	o, err := s.svc.GetObject(ctx, caller, ref)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, name)
	}
	return toObjectIn(ctx, o)
}

// List returns the Workloads of the request's namespace (of every namespace the
// caller may read, for none) its selectors pick.
func (s *Storage) List(ctx context.Context, opts *metainternalversion.ListOptions) (runtime.Object, error) {
	sel := objects.SelectionOf(opts)
	caller, ref, err := request.ListRef(ctx, s.svc, Kind, sel.Name())
	if err != nil {
		return nil, request.Error(ctx, err, Resource, "")
	}
	os, at, err := s.svc.ListObjects(ctx, caller, ref)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, "")
	}
	nss, err := objects.NamespacesOf(ctx, s.svc)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, "")
	}
	out := &compute.WorkloadList{ListMeta: metav1.ListMeta{ResourceVersion: objects.RV(at)}, Items: []compute.Workload{}}
	for _, o := range os {
		obj, err := toObject(o.Workload, o.Seq, nss.Of(o.Workload))
		if err != nil {
			return nil, err
		}
		if sel.Matches(obj.Labels, fieldsOf(obj)) {
			out.Items = append(out.Items, *obj)
		}
	}
	return out, nil
}

// Create stores a new Workload as a Berth workload owned by the caller.
func (s *Storage) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, opts *metav1.CreateOptions) (runtime.Object, error) {
	w, ok := obj.(*compute.Workload)
	if !ok {
		return nil, apierrors.NewBadRequest("not a Workload")
	}
	caller, ref, err := request.Ref(ctx, s.svc, Kind, w.Name)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, w.Name)
	}
	o, spec, err := s.prepare(ctx, w, createValidation)
	if err != nil {
		return nil, err
	}
	if dryRun(opts.DryRun) {
		return w, nil
	}
	created, err := s.svc.CreateObject(ctx, caller, ref, o, spec)
	if err != nil {
		return nil, request.Error(ctx, invalidOf(err, w), Resource, w.Name)
	}
	return toObjectIn(ctx, created)
}

// prepare defaults and validates a Workload a client sent, and makes what Berth
// stores of it.
func (s *Storage) prepare(ctx context.Context, w *compute.Workload, check rest.ValidateObjectFunc) (*workload.Object, apiv1.WorkloadSpec, error) {
	w.Status = compute.WorkloadStatus{}
	applyDefaults(w)
	if errs := validate(w); len(errs) > 0 {
		return nil, apiv1.WorkloadSpec{}, apierrors.NewInvalid(compute.SchemeGroupVersion.WithKind("Workload").GroupKind(), w.Name, errs)
	}
	if check != nil {
		if err := check(ctx, w); err != nil {
			return nil, apiv1.WorkloadSpec{}, err
		}
	}
	return fromObject(w)
}

// Update replaces a Workload with what objInfo makes of the stored one (a PUT, or
// any kind of PATCH); a Workload that is not there is created when the request may
// create (server-side apply).
func (s *Storage) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, opts *metav1.UpdateOptions) (runtime.Object, bool, error) {
	caller, ref, err := request.Ref(ctx, s.svc, Kind, name)
	if err != nil {
		return nil, false, request.Error(ctx, err, Resource, name)
	}
	if _, err := s.svc.GetObject(ctx, caller, ref); forceAllowCreate && isNotFound(err) {
		return s.createOnUpdate(ctx, name, objInfo, createValidation)
	}
	if dryRun(opts.DryRun) {
		return nil, false, apierrors.NewBadRequest("dry-run updates are not served yet")
	}
	var sent *compute.Workload
	updated, err := s.svc.UpdateObject(ctx, caller, ref, func(cur *workload.Workload, seq int64) (*workload.Object, apiv1.WorkloadSpec, error) {
		return s.change(ctx, cur, seq, objInfo, updateValidation, &sent)
	})
	if err != nil {
		return nil, false, request.Error(ctx, invalidOf(err, sent), Resource, name)
	}
	out, err := toObjectIn(ctx, updated)
	return out, false, err
}

// change is the object and spec objInfo makes of the stored workload; the Workload
// it makes is left in sent, to name the fields Berth may refuse.
func (s *Storage) change(ctx context.Context, cur *workload.Workload, seq int64, objInfo rest.UpdatedObjectInfo,
	check rest.ValidateObjectUpdateFunc, sent **compute.Workload) (*workload.Object, apiv1.WorkloadSpec, error) {
	old, err := toObject(cur, seq, objects.NamespaceOf(ctx))
	if err != nil {
		return nil, apiv1.WorkloadSpec{}, err
	}
	obj, err := objInfo.UpdatedObject(ctx, old.DeepCopy())
	if err != nil {
		return nil, apiv1.WorkloadSpec{}, err
	}
	w, ok := obj.(*compute.Workload)
	if !ok {
		return nil, apiv1.WorkloadSpec{}, apierrors.NewBadRequest("not a Workload")
	}
	if w.ResourceVersion != "" && w.ResourceVersion != old.ResourceVersion {
		return nil, apiv1.WorkloadSpec{}, apierrors.NewConflict(Resource, w.Name,
			fmt.Errorf("the object has been modified: resourceVersion %s is not the current %s; read it again", w.ResourceVersion, old.ResourceVersion))
	}
	if w.Name != old.Name {
		return nil, apiv1.WorkloadSpec{}, apierrors.NewBadRequest("the name of the object (" + w.Name + ") does not match the name in the URL (" + old.Name + ")")
	}
	*sent = w
	return s.prepare(ctx, w, func(ctx context.Context, obj runtime.Object) error {
		if check == nil {
			return nil
		}
		return check(ctx, obj, old)
	})
}

// createOnUpdate creates the Workload objInfo makes of nothing.
func (s *Storage) createOnUpdate(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, check rest.ValidateObjectFunc) (runtime.Object, bool, error) {
	obj, err := objInfo.UpdatedObject(ctx, &compute.Workload{})
	if err != nil {
		return nil, false, err
	}
	if w, ok := obj.(*compute.Workload); ok && w.Name == "" {
		w.Name = name
	}
	created, err := s.Create(ctx, obj, check, &metav1.CreateOptions{})
	return created, err == nil, err
}

// Delete deletes the named Workload: its Berth workload is stopped and deleted.
func (s *Storage) Delete(ctx context.Context, name string, deleteValidation rest.ValidateObjectFunc, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	caller, ref, err := request.Ref(ctx, s.svc, Kind, name)
	if err != nil {
		return nil, false, request.Error(ctx, err, Resource, name)
	}
	cur, err := s.svc.GetObject(ctx, caller, ref)
	if err != nil {
		return nil, false, request.Error(ctx, err, Resource, name)
	}
	obj, err := toObjectIn(ctx, cur)
	if err != nil {
		return nil, false, err
	}
	if err := kind.CheckDelete(ctx, obj, deleteValidation, opts); err != nil || dryRun(opts.DryRun) {
		return obj, false, err
	}
	if _, err := s.svc.DeleteObject(ctx, caller, ref); err != nil {
		return nil, false, request.Error(ctx, err, Resource, name)
	}
	return obj, true, nil
}

// DeleteCollection deletes the Workloads a list with listOptions shows.
func (s *Storage) DeleteCollection(ctx context.Context, deleteValidation rest.ValidateObjectFunc, opts *metav1.DeleteOptions,
	listOptions *metainternalversion.ListOptions) (runtime.Object, error) {
	listed, err := s.List(ctx, listOptions)
	if err != nil {
		return nil, err
	}
	list := listed.(*compute.WorkloadList)
	for _, w := range list.Items {
		if _, _, err := s.Delete(ctx, w.Name, deleteValidation, opts); err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return list, nil
}

// toObjectIn is the Workload a stored workload is in the request's namespace.
func toObjectIn(ctx context.Context, o store.WorkloadObject) (*compute.Workload, error) {
	return toObject(o.Workload, o.Seq, objects.NamespaceOf(ctx))
}

func isNotFound(err error) bool {
	e, ok := usecase.AsError(err)
	return ok && e.Code == apiv1.CodeNotFound
}

func dryRun(opts []string) bool { return len(opts) > 0 }
