package usecase

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

var workspaceNameRe = regexp.MustCompile(`^[a-z][-a-z0-9]{0,43}[a-z0-9]$`)

const workspaceNameRule = "must be 2 to 45 letters, digits and '-', starting with a letter and ending with a letter or digit"

// Workspace defaults.
var (
	DefaultQueuePolicy = apiv1.QueuePolicyFIFO
	DefaultScopes      = []string{apiv1.ScopeTrain, apiv1.ScopeInfer, apiv1.ScopeAuthoring}
	allScopes          = []string{apiv1.ScopeTrain, apiv1.ScopeInfer, apiv1.ScopeAuthoring, apiv1.ScopeCICD}
)

// CreateWorkspace answers POST /api/v1/workspaces: administrators create a workspace
// named "<clusterId>-<name>", make its managers members and bind the nodes given.
func (s *Service) CreateWorkspace(ctx context.Context, caller *auth.User, req *apiv1.CreateWorkspaceRequest) (string, error) {
	if !auth.IsAdmin(caller) {
		return "", forbidden("The user is not allowed to create workspace")
	}
	var fe workload.FieldErrors
	name := strings.ToLower(req.Name)
	if !workspaceNameRe.MatchString(name) {
		fe = append(fe, workload.FieldError{Field: "name", Rule: workspaceNameRule})
	}
	ws := &inventory.Workspace{
		Name: req.Name, Description: req.Description, UserID: caller.ID,
		QueuePolicy: queuePolicy(req.QueuePolicy, &fe), Scopes: scopes(req.Scopes, &fe),
		EnablePreempt: req.EnablePreempt, IsDefault: req.IsDefault, CreationTime: s.now(),
		CullIdleAfterSeconds: req.CullIdleAfterSeconds, HomeStorageClass: req.HomeStorageClass, HomeSize: req.HomeSize,
		Namespace: req.Namespace,
	}
	checkSleep(&fe, ws.CullIdleAfterSeconds, ws.HomeStorageClass, ws.HomeSize)
	checkNamespace(&fe, ws.Namespace)
	if len(fe) > 0 {
		return "", invalid(fe)
	}
	if err := s.resolveWorkspace(ctx, ws, name, req); err != nil {
		return "", err
	}
	if err := s.checkNamespaceFree(ctx, ws); err != nil {
		return "", err
	}
	if err := s.Store.WorkspaceInsert(ctx, ws); errors.Is(err, store.ErrConflict) {
		return "", conflict("Workspace %s already exists", ws.ID)
	} else if err != nil {
		return "", err
	}
	if err := s.addMembers(ctx, ws.ID, ws.Managers); err != nil {
		return "", err
	}
	if err := s.bindNodes(ctx, req.NodeIDs, "", ws.ID); err != nil {
		return "", err
	}
	s.wake()
	return ws.ID, nil
}

// resolveWorkspace checks what a new workspace refers to (cluster, managers, image
// secrets, nodes) and fills its id and references.
func (s *Service) resolveWorkspace(ctx context.Context, ws *inventory.Workspace, name string, req *apiv1.CreateWorkspaceRequest) error {
	cluster, err := s.namedOrOnlyCluster(ctx, req.ClusterID)
	if err != nil {
		return err
	}
	ws.Cluster, ws.ID = cluster, strings.ToLower(cluster+"-"+name)
	if ws.Managers, err = s.existingUsers(ctx, req.Managers); err != nil {
		return err
	}
	if ws.ImageSecretIDs, err = s.existingSecrets(ctx, req.ImageSecretIDs); err != nil {
		return err
	}
	return s.checkBindable(ctx, ws, req.NodeIDs)
}

// ListWorkspaces answers GET /api/v1/workspaces?clusterId: administrators see all,
// others the workspaces they belong to or manage.
func (s *Service) ListWorkspaces(ctx context.Context, caller *auth.User, q url.Values) (*apiv1.WorkspaceList, error) {
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, err
	}
	in, err := s.loadWorkspaceInputs(ctx, false)
	if err != nil {
		return nil, err
	}
	cluster := q.Get("clusterId")
	out := &apiv1.WorkspaceList{Items: []apiv1.Workspace{}}
	for _, ws := range wss {
		if (cluster == "" || ws.Cluster == cluster) && canSeeWorkspace(caller, ws) {
			out.Items = append(out.Items, workspaceView(ws, in))
		}
	}
	out.TotalCount = len(out.Items)
	return out, nil
}

// GetWorkspace answers GET /api/v1/workspaces/{id} with its quotas.
func (s *Service) GetWorkspace(ctx context.Context, caller *auth.User, id string) (*apiv1.Workspace, error) {
	ws, err := s.workspace(ctx, id)
	if err != nil {
		return nil, err
	}
	if !canSeeWorkspace(caller, ws) {
		return nil, forbidden("The user is not allowed to get workspace")
	}
	in, err := s.loadWorkspaceInputs(ctx, true)
	if err != nil {
		return nil, err
	}
	v := workspaceView(ws, in)
	addQuotas(&v, ws, in)
	return &v, nil
}

// DeleteWorkspace answers DELETE /api/v1/workspaces/{id}: administrators delete a
// workspace whose workloads have all ended; its nodes go back to the cluster.
func (s *Service) DeleteWorkspace(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete workspace")
	}
	if _, err := s.workspace(ctx, id); err != nil {
		return err
	}
	live, err := s.Store.WorkloadListLive(ctx)
	if err != nil {
		return err
	}
	for _, w := range live {
		if w.Workspace() == id && !w.Ended() {
			return newError(apiv1.CodeResourceProcessing,
				"Workspace %s still has workloads that have not ended (%s): stop them first", id, w.ID)
		}
	}
	if err := s.Store.WorkspaceDelete(ctx, id); errors.Is(err, store.ErrNotFound) {
		return workspaceNotFound(id)
	} else if err != nil {
		return err
	}
	if err := s.freeNodes(ctx, id); err != nil {
		return err
	}
	s.wake()
	return s.dropMember(ctx, id)
}

// canSeeWorkspace: administrators, members and managers.
func canSeeWorkspace(u *auth.User, ws *inventory.Workspace) bool {
	return auth.IsAdmin(u) || auth.IsMember(u, ws.ID) || auth.Manages(u, ws)
}

// namedOrOnlyCluster resolves the cluster of a new workspace or machine: the one
// named, else the only one there is.
func (s *Service) namedOrOnlyCluster(ctx context.Context, id string) (string, error) {
	if id != "" {
		c, err := s.cluster(ctx, id)
		if err != nil {
			return "", err
		}
		return c.ID, nil
	}
	cs, err := s.Store.ClusterList(ctx)
	if err != nil {
		return "", err
	}
	if len(cs) != 1 {
		return "", invalid(workload.FieldErrors{{Field: "clusterId", Rule: "is required when there is not exactly one cluster"}})
	}
	return cs[0].ID, nil
}

func queuePolicy(p string, fe *workload.FieldErrors) string {
	switch p = strings.ToLower(p); p {
	case "":
		return DefaultQueuePolicy
	case apiv1.QueuePolicyFIFO, apiv1.QueuePolicyBalance:
		return p
	}
	*fe = append(*fe, workload.FieldError{Field: "queuePolicy", Rule: "must be fifo or balance"})
	return ""
}

// scopes checks scopes (matched case-insensitively) and returns them in their
// canonical spelling without duplicates; nil or empty gives the default scopes.
func scopes(in []string, fe *workload.FieldErrors) []string {
	if len(in) == 0 {
		return slices.Clone(DefaultScopes)
	}
	out := []string{}
	for i, sc := range in {
		k := slices.IndexFunc(allScopes, func(a string) bool { return strings.EqualFold(a, sc) })
		if k < 0 {
			*fe = append(*fe, workload.FieldError{Field: indexed("scopes", i), Rule: "must be Train, Infer, Authoring or CICD"})
		} else if !slices.Contains(out, allScopes[k]) {
			out = append(out, allScopes[k])
		}
	}
	return out
}
