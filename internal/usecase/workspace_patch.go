package usecase

import (
	"context"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// PatchWorkspace answers PATCH /api/v1/workspaces/{id}: administrators and the
// workspace's managers; only administrators may change the managers.
func (s *Service) PatchWorkspace(ctx context.Context, caller *auth.User, id string, req *apiv1.PatchWorkspaceRequest) error {
	ws, err := s.workspace(ctx, id)
	if err != nil {
		return err
	}
	if !auth.CanManageWorkspace(caller, ws) {
		return forbidden("The user is not allowed to update workspace")
	}
	if req.Managers != nil && !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to update workspace managers")
	}
	var fe workload.FieldErrors
	var policy string
	var scs []string
	if req.QueuePolicy != nil {
		policy = queuePolicy(*req.QueuePolicy, &fe)
	}
	if req.Scopes != nil {
		scs = scopes(*req.Scopes, &fe)
	}
	checkSleep(&fe, deref(req.CullIdleAfterSeconds), deref(req.HomeStorageClass), deref(req.HomeSize))
	checkNamespace(&fe, deref(req.Namespace))
	if len(fe) > 0 {
		return invalid(fe)
	}
	var managers, secrets []string
	if req.Managers != nil {
		if managers, err = s.existingUsers(ctx, *req.Managers); err != nil {
			return err
		}
	}
	if req.ImageSecretIDs != nil {
		if secrets, err = s.existingSecrets(ctx, *req.ImageSecretIDs); err != nil {
			return err
		}
	}
	err = s.updateWorkspace(ctx, id, func(w *inventory.Workspace) error {
		applyWorkspacePatch(w, req, policy, scs, managers, secrets)
		return s.checkNamespaceFree(ctx, w)
	})
	if err != nil {
		return err
	}
	s.wake()
	return s.addMembers(ctx, id, managers)
}

func applyWorkspacePatch(w *inventory.Workspace, req *apiv1.PatchWorkspaceRequest, policy string, scs, managers, secrets []string) {
	if req.Description != nil {
		w.Description = *req.Description
	}
	if policy != "" {
		w.QueuePolicy = policy
	}
	if scs != nil {
		w.Scopes = scs
	}
	if req.EnablePreempt != nil {
		w.EnablePreempt = *req.EnablePreempt
	}
	if req.Managers != nil {
		w.Managers = managers
	}
	if req.IsDefault != nil {
		w.IsDefault = *req.IsDefault
	}
	if req.ImageSecretIDs != nil {
		w.ImageSecretIDs = secrets
	}
	if req.CullIdleAfterSeconds != nil {
		w.CullIdleAfterSeconds = *req.CullIdleAfterSeconds
	}
	if req.HomeStorageClass != nil {
		w.HomeStorageClass = *req.HomeStorageClass
	}
	if req.HomeSize != nil {
		w.HomeSize = *req.HomeSize
	}
	if req.Namespace != nil {
		w.Namespace = *req.Namespace
	}
}

// updateWorkspace reloads the workspace, changes it with fn and writes it, again
// while another request changed it in between.
func (s *Service) updateWorkspace(ctx context.Context, id string, fn func(*inventory.Workspace) error) error {
	return store.RetryOnConflict(ctx, func() error {
		w, err := s.workspace(ctx, id)
		if err != nil {
			return err
		}
		if err := fn(w); err != nil {
			return err
		}
		return s.Store.WorkspaceUpdate(ctx, w)
	})
}

// addMembers makes the users members of the workspace.
func (s *Service) addMembers(ctx context.Context, wsID string, userIDs []string) error {
	for _, id := range userIDs {
		err := s.updateUser(ctx, id, func(u *auth.User) bool {
			if slices.Contains(u.Workspaces, wsID) {
				return false
			}
			u.Workspaces = append(u.Workspaces, wsID)
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// dropMember removes a deleted workspace from every user's workspaces.
func (s *Service) dropMember(ctx context.Context, wsID string) error {
	users, err := s.Store.UserList(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if !slices.Contains(u.Workspaces, wsID) {
			continue
		}
		err := s.updateUser(ctx, u.ID, func(u *auth.User) bool {
			u.Workspaces = slices.DeleteFunc(u.Workspaces, func(w string) bool { return w == wsID })
			return true
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// updateUser reloads the user and writes the change fn makes, if it makes one.
func (s *Service) updateUser(ctx context.Context, id string, fn func(*auth.User) bool) error {
	return store.RetryOnConflict(ctx, func() error {
		u, err := s.user(ctx, id)
		if err != nil || !fn(u) {
			return err
		}
		return s.Store.UserUpdate(ctx, u)
	})
}

// existingUsers returns the ids without duplicates, answering 404 for an unknown one.
func (s *Service) existingUsers(ctx context.Context, ids []string) ([]string, error) {
	out := []string{}
	for _, id := range ids {
		if _, err := s.user(ctx, id); err != nil {
			return nil, err
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

// existingSecrets returns the ids without duplicates, answering 404 for an unknown
// one and 400 for one that is not an image secret.
func (s *Service) existingSecrets(ctx context.Context, ids []string) ([]string, error) {
	out := []string{}
	var fe workload.FieldErrors
	for i, id := range ids {
		sec, err := s.secret(ctx, id)
		if err != nil {
			return nil, err
		}
		if sec.Type != apiv1.SecretTypeImage {
			fe = append(fe, workload.FieldError{Field: indexed("imageSecretIds", i), Rule: "must name an image secret"})
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	return out, nil
}
