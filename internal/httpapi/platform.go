package httpapi

import (
	"net/http"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// createUserResponse answers a user create.
type createUserResponse struct {
	ID string `json:"id"`
}

func (a *API) platformRoutes() {
	a.handlePublic("POST /api/v1/login", a.login)
	a.handlePublic("POST /api/v1/logout", a.logout)
	a.handlePublic("GET /api/v1/envs", a.envs)

	a.handle("POST /api/v1/users", a.createUser)
	a.handle("GET /api/v1/users", a.listUsers)
	a.handle("GET /api/v1/users/{id}", a.getUser)
	a.handle("PATCH /api/v1/users/{id}", a.patchUser)
	a.handle("DELETE /api/v1/users/{id}", a.deleteUser)

	a.handle("POST /api/v1/apikeys", a.createAPIKey)
	a.handle("GET /api/v1/apikeys", a.listAPIKeys)
	a.handle("GET /api/v1/apikeys/current", a.currentAPIKey)
	a.handle("DELETE /api/v1/apikeys/{id}", a.deleteAPIKey)
	a.handle("POST /api/v1/publickeys", a.createPublicKey)
	a.handle("GET /api/v1/publickeys", a.listPublicKeys)
	a.handle("DELETE /api/v1/publickeys/{id}", a.deletePublicKey)
	a.handle("PUT /api/v1/publickeys/{id}/status", a.setPublicKeyStatus)

	a.handle("POST /api/v1/workspaces", a.createWorkspace)
	a.handle("GET /api/v1/workspaces", a.listWorkspaces)
	a.handle("GET /api/v1/workspaces/{id}", a.getWorkspace)
	a.handle("PATCH /api/v1/workspaces/{id}", a.patchWorkspace)
	a.handle("DELETE /api/v1/workspaces/{id}", a.deleteWorkspace)
	a.handle("POST /api/v1/workspaces/{id}/nodes", a.workspaceNodes)

	a.handle("GET /api/v1/nodes", a.listNodes)
	a.handle("GET /api/v1/nodes/{id}", a.getNode)
	a.handle("PATCH /api/v1/nodes/{id}", a.patchNode)

	a.handle("POST /api/v1/secrets", a.createSecret)
	a.handle("GET /api/v1/secrets", a.listSecrets)
	a.handle("GET /api/v1/secrets/{id}", a.getSecret)
	a.handle("PATCH /api/v1/secrets/{id}", a.patchSecret)
	a.handle("DELETE /api/v1/secrets/{id}", a.deleteSecret)

	a.handle("GET /api/v1/clusters", a.listClusters)
	a.handle("GET /api/v1/clusters/{id}", a.getCluster)
	a.handle("POST /api/v1/clusters", a.createCluster)
	a.handle("DELETE /api/v1/clusters/{id}", a.deleteCluster)
}

func (a *API) createUser(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateUserRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateUser(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return createUserResponse{ID: id}, nil
}

func (a *API) listUsers(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListUsers(r.Context(), caller, r.URL.Query())
}

func (a *API) getUser(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetUser(r.Context(), caller, r.PathValue("id"))
}

func (a *API) patchUser(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.PatchUserRequest
	if err := decodeKnown(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.PatchUser(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) deleteUser(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteUser(r.Context(), caller, r.PathValue("id"))
}

func (a *API) createAPIKey(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateAPIKeyRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return a.svc.CreateAPIKey(r.Context(), caller, &req)
}

func (a *API) listAPIKeys(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListAPIKeys(r.Context(), caller)
}

func (a *API) currentAPIKey(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.CurrentAPIKey(r.Context(), caller, token(r))
}

func (a *API) deleteAPIKey(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteAPIKey(r.Context(), caller, r.PathValue("id"))
}

func (a *API) createPublicKey(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreatePublicKeyRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return a.svc.CreatePublicKey(r.Context(), caller, &req)
}

func (a *API) listPublicKeys(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListPublicKeys(r.Context(), caller, r.URL.Query())
}

func (a *API) deletePublicKey(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeletePublicKey(r.Context(), caller, r.PathValue("id"))
}

func (a *API) setPublicKeyStatus(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.PublicKeyStatusRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.SetPublicKeyStatus(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) createWorkspace(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateWorkspaceRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateWorkspace(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return apiv1.CreateWorkspaceResponse{WorkspaceID: id}, nil
}

func (a *API) listWorkspaces(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListWorkspaces(r.Context(), caller, r.URL.Query())
}

func (a *API) getWorkspace(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetWorkspace(r.Context(), caller, r.PathValue("id"))
}

func (a *API) patchWorkspace(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.PatchWorkspaceRequest
	if err := decodeKnown(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.PatchWorkspace(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) deleteWorkspace(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteWorkspace(r.Context(), caller, r.PathValue("id"))
}

func (a *API) workspaceNodes(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.WorkspaceNodesRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.WorkspaceNodes(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) listNodes(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListNodes(r.Context(), caller, r.URL.Query())
}

func (a *API) getNode(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetNode(r.Context(), caller, r.PathValue("id"))
}

func (a *API) patchNode(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.PatchNodeRequest
	if err := decodeKnown(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.PatchNode(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) createSecret(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateSecretRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateSecret(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return apiv1.CreateSecretResponse{SecretID: id}, nil
}

func (a *API) listSecrets(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListSecrets(r.Context(), caller, r.URL.Query())
}

func (a *API) getSecret(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetSecret(r.Context(), caller, r.PathValue("id"))
}

func (a *API) patchSecret(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.PatchSecretRequest
	if err := decodeKnown(r, &req); err != nil {
		return nil, err
	}
	return nil, a.svc.PatchSecret(r.Context(), caller, r.PathValue("id"), &req)
}

func (a *API) deleteSecret(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteSecret(r.Context(), caller, r.PathValue("id"))
}

func (a *API) listClusters(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.ListClusters(r.Context(), caller)
}

func (a *API) getCluster(r *http.Request, caller *auth.User) (any, error) {
	return a.svc.GetCluster(r.Context(), caller, r.PathValue("id"))
}

func (a *API) createCluster(r *http.Request, caller *auth.User) (any, error) {
	var req apiv1.CreateClusterRequest
	if err := decode(r, &req); err != nil {
		return nil, err
	}
	id, err := a.svc.CreateCluster(r.Context(), caller, &req)
	if err != nil {
		return nil, err
	}
	return apiv1.CreateClusterResponse{ClusterID: id}, nil
}

func (a *API) deleteCluster(r *http.Request, caller *auth.User) (any, error) {
	return nil, a.svc.DeleteCluster(r.Context(), caller, r.PathValue("id"))
}
