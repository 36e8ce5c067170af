package kubeapi

import (
	"log/slog"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apiserver/pkg/authentication/authenticator"

	"github.com/berth-dev/berth/internal/kubeapi/request"
	"github.com/berth-dev/berth/internal/usecase"
)

// proxied is the user of a request the cluster's API server proxied to Berth as an
// aggregated API: ok when the front proxy's client certificate vouches for the
// user its headers name. That Kubernetes user is the Berth user of the same name;
// one that names no Berth user stays a Kubernetes user, whom the authorizer lets
// read discovery only (Forbidden otherwise). Such a request is its user's alone:
// a Berth token it also carries is not looked at. A request whose headers name a
// user without the front proxy's certificate is not proxied: its headers are
// ignored, and it authenticates as any other, with a Berth token.
func (a authn) proxied(r *http.Request) (*authenticator.Response, bool) {
	if a.proxy == nil {
		return nil, false
	}
	resp, ok, err := a.proxy.AuthenticateRequest(r)
	if err != nil {
		slog.DebugContext(r.Context(), "kubernetes api: remote user headers not trusted", "err", err)
	}
	if err != nil || !ok {
		return nil, false
	}
	u, isBerth, err := a.svc.UserOfKubernetes(r.Context(), resp.User.GetName())
	if err != nil {
		slog.WarnContext(r.Context(), "kubernetes api: proxied user refused", "user", resp.User.GetName(), "err", err)
		return resp, true // not a Berth user to the authorizer: Forbidden
	}
	if !isBerth {
		return resp, true
	}
	if a.note != nil {
		a.note(r, u.ID)
	}
	return &authenticator.Response{User: request.User{User: u}}, true
}

// GroupVersions are the API group versions Berth serves beside the core group's:
// those a cluster is told to proxy to Berth when Berth is aggregated into it.
func GroupVersions(svc *usecase.Service) []schema.GroupVersion {
	var vs []schema.GroupVersion
	for _, g := range servedGroups(svc) {
		if g.prefix == groupPrefix {
			vs = append(vs, g.version)
		}
	}
	return vs
}
