package kubeapi

import (
	"context"
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
// token, else the Token cookie.
type authn struct {
	svc  *usecase.Service
	note func(r *http.Request, userID string) // nil: none
}

var _ authenticator.Request = authn{}

// AuthenticateRequest finds the Berth user of r; a request without credentials is
// not authenticated (401), as one with bad credentials.
func (a authn) AuthenticateRequest(r *http.Request) (*authenticator.Response, bool, error) {
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

// allowBerthUsers allows Berth users, and no one else.
func allowBerthUsers(_ context.Context, a authorizer.Attributes) (authorizer.Decision, string, error) {
	if _, ok := a.GetUser().(request.User); ok {
		return authorizer.DecisionAllow, "Berth's use cases authorize the request", nil
	}
	return authorizer.DecisionDeny, "not a Berth user", nil
}
