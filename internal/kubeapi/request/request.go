// Package request carries what Berth's Kubernetes API knows of a request from the
// generic server's filters to the storages: the Berth user that authenticated, the
// workspace the namespace names, and the one translation of Berth's errors into
// Kubernetes Status errors.
package request

import (
	"context"
	"errors"
	"log/slog"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/user"
	genericrequest "k8s.io/apiserver/pkg/endpoints/request"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/usecase"
)

// User is a Berth user as the generic server's authentication filter hands it on.
type User struct {
	*auth.User
}

var _ user.Info = User{}

// GetName is the user's name, as Kubernetes audit and errors show it.
func (u User) GetName() string { return u.Name }

// GetUID is the user's id.
func (u User) GetUID() string { return u.ID }

// GetGroups says the user is authenticated; Berth's roles are not groups.
func (u User) GetGroups() []string { return []string{user.AllAuthenticated} }

// GetExtra is empty.
func (u User) GetExtra() map[string][]string { return nil }

// Caller is the Berth user of the request ctx carries.
func Caller(ctx context.Context) (*auth.User, error) {
	u, ok := genericrequest.UserFrom(ctx)
	if b, isBerth := u.(User); ok && isBerth && b.User != nil {
		return b.User, nil
	}
	return nil, apierrors.NewUnauthorized("no Berth user: send a Berth API key or login token as a bearer token")
}

// Ref is the object the request names in the workspace its namespace names, and
// its caller.
func Ref(ctx context.Context, svc *usecase.Service, kind, name string) (*auth.User, usecase.ObjectRef, error) {
	caller, err := Caller(ctx)
	if err != nil {
		return nil, usecase.ObjectRef{}, err
	}
	ns, ok := genericrequest.NamespaceFrom(ctx)
	if !ok || ns == "" {
		return nil, usecase.ObjectRef{}, apierrors.NewBadRequest("a namespace is required: Berth serves workloads one workspace at a time")
	}
	ws, err := svc.WorkspaceOfNamespace(ctx, ns)
	if err != nil {
		return nil, usecase.ObjectRef{}, err
	}
	return caller, usecase.ObjectRef{Workspace: ws, Kind: kind, Name: name}, nil
}

// ListRef is Ref for a list or a watch, which may be of every namespace: its
// Workspace is then "".
func ListRef(ctx context.Context, svc *usecase.Service, kind, name string) (*auth.User, usecase.ObjectRef, error) {
	if ns, _ := genericrequest.NamespaceFrom(ctx); ns != "" {
		return Ref(ctx, svc, kind, name)
	}
	caller, err := Caller(ctx)
	return caller, usecase.ObjectRef{Kind: kind, Name: name}, err
}

// statusOf maps Berth's error codes to Kubernetes Status errors.
var statusOf = map[string]func(gr schema.GroupResource, name, msg string) error{
	apiv1.CodeBadRequest: func(_ schema.GroupResource, _, msg string) error { return apierrors.NewBadRequest(msg) },
	apiv1.CodeForbidden: func(gr schema.GroupResource, name, msg string) error {
		return apierrors.NewForbidden(gr, name, errors.New(msg))
	},
	apiv1.CodeAlreadyExist:     func(gr schema.GroupResource, name, _ string) error { return apierrors.NewAlreadyExists(gr, name) },
	apiv1.CodeNotFound:         func(gr schema.GroupResource, name, _ string) error { return apierrors.NewNotFound(gr, name) },
	apiv1.CodeWorkloadNotFound: func(gr schema.GroupResource, name, _ string) error { return apierrors.NewNotFound(gr, name) },
	apiv1.CodeNotImplemented: func(_ schema.GroupResource, _, msg string) error {
		return apierrors.NewMethodNotSupported(schema.GroupResource{}, msg)
	},
	apiv1.CodeQuotaInsufficient: func(_ schema.GroupResource, _, msg string) error { return apierrors.NewServiceUnavailable(msg) },
	apiv1.CodeUnauthorized:      func(_ schema.GroupResource, _, msg string) error { return apierrors.NewUnauthorized(msg) },
	apiv1.CodeResourceProcessing: func(gr schema.GroupResource, name, msg string) error {
		return apierrors.NewConflict(gr, name, errors.New(msg))
	},
	apiv1.CodeGone: func(_ schema.GroupResource, _, msg string) error { return apierrors.NewResourceExpired(msg) },
	apiv1.CodeWorkspaceNotFound: func(gr schema.GroupResource, name, msg string) error {
		return apierrors.NewForbidden(gr, name, errors.New(msg))
	},
}

// Error turns an error of Berth's into the Status error Kubernetes clients expect,
// for the object name of resource gr: errors the caller can act on keep their
// message; anything else is an internal error whose details go to the log only.
func Error(ctx context.Context, err error, gr schema.GroupResource, name string) error {
	var status apierrors.APIStatus
	switch e, ok := usecase.AsError(err); {
	case err == nil:
		return nil
	case errors.As(err, &status):
		return err
	case ok && statusOf[e.Code] != nil:
		return statusOf[e.Code](gr, name, e.Message)
	case errors.Is(err, store.ErrConflict):
		return apierrors.NewConflict(gr, name, errors.New("the object was changed by another request: read it again and retry"))
	case errors.Is(err, context.Canceled):
		return apierrors.NewBadRequest("the request was canceled")
	}
	slog.ErrorContext(ctx, "kubernetes api request failed", "resource", gr.String(), "name", name, "err", err)
	return apierrors.NewInternalError(errors.New("internal error"))
}

// Namespace is the request's namespace.
func Namespace(ctx context.Context) (string, bool) {
	return genericrequest.NamespaceFrom(ctx)
}
