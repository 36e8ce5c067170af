// Package modelinfers serves seed 004's workload.volcano.sh ModelInfers, the
// objects of Berth's /api/v1/modelinfers, to Kubernetes clients: the REST storage
// the generic API server serves them with (get, list, create, update and patch,
// delete, watch, Table), and its scale and status subresources. Reads go through
// Berth's object use cases (a ModelInfer's resourceVersion is the change number of
// its newest write), writes through the ModelInfer use cases, so both APIs see one
// object, authorized and validated alike.
package modelinfers

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/registry/rest"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/kubeapi/objects"
	"github.com/berth-dev/berth/internal/kubeapi/request"
	volcano "github.com/berth-dev/berth/internal/kubeapi/volcano/v1alpha1"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/workload"
)

// Resource is the group and resource of ModelInfers.
var Resource = volcano.SchemeGroupVersion.WithResource("modelinfers").GroupResource()

// Kind is the object kind ModelInfers are stored as.
const Kind = workload.InferObjectKind

// Storage is the REST storage of ModelInfers.
type Storage struct {
	objects.Table[*volcano.ModelInfer]
	svc *usecase.Service
}

// New returns the storage of ModelInfers over svc.
func New(svc *usecase.Service) *Storage { return &Storage{Table: table, svc: svc} }

var (
	_ rest.StandardStorage      = (*Storage)(nil)
	_ rest.SingularNameProvider = (*Storage)(nil)
	_ rest.CategoriesProvider   = (*Storage)(nil)
)

// New returns an empty ModelInfer.
func (*Storage) New() runtime.Object { return &volcano.ModelInfer{} }

// NewList returns an empty ModelInferList.
func (*Storage) NewList() runtime.Object { return &volcano.ModelInferList{} }

// Destroy releases nothing: the store belongs to the server.
func (*Storage) Destroy() {}

// NamespaceScoped: a ModelInfer lives in a project's namespace, a Berth workspace.
func (*Storage) NamespaceScoped() bool { return true }

// GetSingularName is the singular of the resource, for kubectl.
func (*Storage) GetSingularName() string { return "modelinfer" }

// Categories put ModelInfers in `kubectl get all`.
func (*Storage) Categories() []string { return []string{"all"} }

// Get returns the named ModelInfer of the request's namespace.
func (s *Storage) Get(ctx context.Context, name string, _ *metav1.GetOptions) (runtime.Object, error) {
	_, o, err := s.get(ctx, name)
	if err != nil {
		return nil, err
	}
	return toObject(o.Workload, o.Seq, objects.NamespaceOf(ctx))
}

// get reads the named ModelInfer with its workspace.
func (s *Storage) get(ctx context.Context, name string) (usecase.ObjectRef, store.WorkloadObject, error) {
	caller, ref, err := request.Ref(ctx, s.svc, Kind, name)
	if err != nil {
		return ref, store.WorkloadObject{}, request.Error(ctx, err, Resource, name)
	}
	o, err := s.svc.GetObject(ctx, caller, ref)
	if err != nil {
		return ref, o, request.Error(ctx, err, Resource, name)
	}
	return ref, o, nil
}

// List returns the ModelInfers of the request's namespace (of every namespace the
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
	out := &volcano.ModelInferList{ListMeta: metav1.ListMeta{ResourceVersion: objects.RV(at)}, Items: []volcano.ModelInfer{}}
	for _, o := range os {
		obj, err := toObject(o.Workload, o.Seq, nss.Of(o.Workload))
		if err != nil {
			return nil, err
		}
		if sel.Matches(obj.Labels, kind.Fields(obj)) {
			out.Items = append(out.Items, *obj)
		}
	}
	return out, nil
}

// Create makes a new ModelInfer, as POST /api/v1/modelinfers does.
func (s *Storage) Create(ctx context.Context, obj runtime.Object, check rest.ValidateObjectFunc, opts *metav1.CreateOptions) (runtime.Object, error) {
	in, ok := obj.(*volcano.ModelInfer)
	if !ok {
		return nil, apierrors.NewBadRequest("not a ModelInfer")
	}
	caller, ref, err := request.Ref(ctx, s.svc, Kind, in.Name)
	if err != nil {
		return nil, request.Error(ctx, err, Resource, in.Name)
	}
	m, err := accepted(in, ref.Workspace)
	if err != nil {
		return nil, err
	}
	if check != nil {
		if err := check(ctx, in); err != nil {
			return nil, err
		}
	}
	if len(opts.DryRun) > 0 {
		return in, nil
	}
	managed, err := managedOf(in)
	if err != nil {
		return nil, err
	}
	if err := s.svc.CreateModelInferObject(ctx, caller, ref.Workspace, m, managed); err != nil {
		return nil, request.Error(ctx, err, Resource, in.Name)
	}
	return s.Get(ctx, in.Name, nil)
}

// Update replaces a ModelInfer with what objInfo makes of the stored one (a PUT,
// or any kind of PATCH); one that is not there is created when the request may
// create (server-side apply). The use case makes the change on the ModelInfer as
// it reads it just before its write, again after a race with another write.
func (s *Storage) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc,
	updateValidation rest.ValidateObjectUpdateFunc, forceAllowCreate bool, opts *metav1.UpdateOptions) (runtime.Object, bool, error) {
	ref, _, err := s.get(ctx, name)
	if forceAllowCreate && apierrors.IsNotFound(err) {
		return s.createOnUpdate(ctx, name, objInfo, createValidation)
	}
	if err != nil {
		return nil, false, err
	}
	if len(opts.DryRun) > 0 {
		return nil, false, apierrors.NewBadRequest("dry-run updates are not served yet")
	}
	out, err := s.write(ctx, ref, func(old *volcano.ModelInfer) (*volcano.ModelInfer, error) {
		obj, err := objInfo.UpdatedObject(ctx, old.DeepCopy())
		if err != nil {
			return nil, err
		}
		in, ok := obj.(*volcano.ModelInfer)
		if !ok {
			return nil, apierrors.NewBadRequest("not a ModelInfer")
		}
		return in, checkUpdate(ctx, old, in, updateValidation)
	})
	return out, false, err
}

// checkUpdate refuses an update of old to in at another resourceVersion, of another
// name, or that check refuses.
func checkUpdate(ctx context.Context, old, in *volcano.ModelInfer, check rest.ValidateObjectUpdateFunc) error {
	if in.ResourceVersion != "" && in.ResourceVersion != old.ResourceVersion {
		return apierrors.NewConflict(Resource, old.Name,
			fmt.Errorf("the object has been modified: resourceVersion %s is not the current %s; read it again", in.ResourceVersion, old.ResourceVersion))
	}
	if in.Name != old.Name {
		return apierrors.NewBadRequest("the name of the object (" + in.Name + ") does not match the name in the URL (" + old.Name + ")")
	}
	if check != nil {
		return check(ctx, in, old)
	}
	return nil
}

// write stores what change makes of the ModelInfer ref names through the
// ModelInfer use cases, and returns it as stored.
func (s *Storage) write(ctx context.Context, ref usecase.ObjectRef, change func(old *volcano.ModelInfer) (*volcano.ModelInfer, error)) (*volcano.ModelInfer, error) {
	caller, err := request.Caller(ctx)
	if err != nil {
		return nil, err
	}
	ns := objects.NamespaceOf(ctx)
	updated, err := s.svc.UpdateModelInferObject(ctx, caller, ref, func(w *workload.Workload, seq int64) (*apiv1.ModelInfer, json.RawMessage, error) {
		old, err := toObject(w, seq, ns)
		if err != nil {
			return nil, nil, err
		}
		in, err := change(old)
		if err != nil {
			return nil, nil, err
		}
		m, err := accepted(in, ref.Workspace)
		if err != nil {
			return nil, nil, err
		}
		managed, err := managedOf(in)
		return m, managed, err
	})
	if err != nil {
		return nil, request.Error(ctx, err, Resource, ref.Name)
	}
	return toObject(updated.Workload, updated.Seq, ns)
}

// createOnUpdate creates the ModelInfer objInfo makes of nothing.
func (s *Storage) createOnUpdate(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, check rest.ValidateObjectFunc) (runtime.Object, bool, error) {
	obj, err := objInfo.UpdatedObject(ctx, &volcano.ModelInfer{})
	if err != nil {
		return nil, false, err
	}
	if m, ok := obj.(*volcano.ModelInfer); ok && m.Name == "" {
		m.Name = name
	}
	created, err := s.Create(ctx, obj, check, &metav1.CreateOptions{})
	return created, err == nil, err
}

// Delete deletes the named ModelInfer: its pods stop and its workload is deleted.
func (s *Storage) Delete(ctx context.Context, name string, check rest.ValidateObjectFunc, opts *metav1.DeleteOptions) (runtime.Object, bool, error) {
	ref, cur, err := s.get(ctx, name)
	if err != nil {
		return nil, false, err
	}
	obj, err := toObject(cur.Workload, cur.Seq, objects.NamespaceOf(ctx))
	if err != nil {
		return nil, false, err
	}
	if err := kind.CheckDelete(ctx, obj, check, opts); err != nil || len(opts.DryRun) > 0 {
		return obj, false, err
	}
	caller, err := request.Caller(ctx)
	if err == nil {
		err = s.svc.DeleteModelInfer(ctx, caller, ref.Workspace, name)
	}
	if err != nil {
		return nil, false, request.Error(ctx, err, Resource, name)
	}
	return obj, true, nil
}

// DeleteCollection deletes the ModelInfers a list with listOptions shows.
func (s *Storage) DeleteCollection(ctx context.Context, check rest.ValidateObjectFunc, opts *metav1.DeleteOptions,
	listOptions *metainternalversion.ListOptions) (runtime.Object, error) {
	listed, err := s.List(ctx, listOptions)
	if err != nil {
		return nil, err
	}
	list := listed.(*volcano.ModelInferList)
	for _, m := range list.Items {
		if _, _, err := s.Delete(ctx, m.Name, check, opts); err != nil && !apierrors.IsNotFound(err) {
			return nil, err
		}
	}
	return list, nil
}
