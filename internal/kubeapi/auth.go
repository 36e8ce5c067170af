package kubeapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authorization/authorizer"

	"github.com/berth-dev/berth/internal/kubeapi/request"
	"github.com/berth-dev/berth/internal/usecase"
)

// tokenCookie is the cookie a browser carries its Berth login token in.
const tokenCookie = "Token"

// authn authenticates a request as Berth's API does: a bearer API key or login
// token, else the Token cookie; in a cluster, a request the cluster's API server
// proxied is first its user's (proxied.go).
type authn struct {
	svc   *usecase.Service
	note  func(r *http.Request, userID string) // nil: none
	proxy authenticator.Request                // nil: Berth is no aggregated API
}

var _ authenticator.Request = authn{}

// AuthenticateRequest finds the Berth user of r; a request without credentials is
// not authenticated (401), as one with bad credentials.
func (a authn) AuthenticateRequest(r *http.Request) (*authenticator.Response, bool, error) {
	if resp, ok := a.proxied(r); ok {
		return resp, true, nil
	}
	token := bearer(r)
	if token == "" {
		return nil, false, nil
	}
	u, err := a.svc.Authenticate(r.Context(), token)
	if err != nil {
		return nil, false, err
	}
	if a.note != nil {
		a.note(r, u.ID)
	}
	return &authenticator.Response{User: request.User{User: u}}, true, nil
}

// bearer is r's bearer token, else its Token cookie ("" for none).
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	if c, err := r.Cookie(tokenCookie); err == nil {
		return c.Value
	}
	return ""
}

// authz lets every Berth user through the generic server's filter: what a user
// may do with a workspace's workloads is Berth's permission matrix, which the use
// cases apply to every request (the one the Workload REST API has).
var authz authorizer.Authorizer = authorizer.AuthorizerFunc(allowBerthUsers)

// allowBerthUsers allows Berth users, and no one else, to reach resources; any
// authenticated user may read discovery and OpenAPI, as in Kubernetes (the
// cluster's API server reads them as itself to aggregate them).
func allowBerthUsers(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if _, ok := a.GetUser().(request.User); ok {
		return authorizer.DecisionAllow, "Berth's use cases authorize the request", nil
	}
	if !a.IsResourceRequest() && a.GetVerb() == "get" {
		return authorizer.DecisionAllow, "discovery is open to authenticated users", nil
	}
	return authorizer.DecisionDeny, fmt.Sprintf("%q is not a Berth user (a Kubernetes user is the Berth user of the same name)",
		a.GetUser().GetName()), nil
}
