package usecase

import (
	"context"
	"net/mail"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// PatchUser answers PATCH /api/v1/users/{id}. Administrators may change everything;
// users may change their own password, e-mail and avatar.
func (s *Service) PatchUser(ctx context.Context, caller *auth.User, id string, req *apiv1.PatchUserRequest) error {
	if id == SelfID {
		id = caller.ID
	}
	admin, self := auth.IsAdmin(caller), id == caller.ID
	if !admin && !self {
		return forbidden("The user is not allowed to update user")
	}
	if !admin && (req.Roles != nil || req.Workspaces != nil || req.RestrictedType != nil) {
		return forbidden("The user is not allowed to update user: only an administrator may change roles, workspaces or restrictedType")
	}
	roles, err := checkUserPatch(req, self)
	if err != nil {
		return err
	}
	var hash string
	if req.Password != nil {
		if hash, err = auth.HashPassword(*req.Password); err != nil {
			return err
		}
	}
	var member []string
	if req.Workspaces != nil {
		wss, err := s.Store.WorkspaceList(ctx)
		if err != nil {
			return err
		}
		if member, err = existingWorkspaces(*req.Workspaces, wss); err != nil {
			return err
		}
	}
	return store.RetryOnConflict(ctx, func() error {
		u, err := s.user(ctx, id)
		if err != nil {
			return err
		}
		applyUserPatch(u, req, roles, member, hash)
		return s.Store.UserUpdate(ctx, u)
	})
}

// checkUserPatch validates the fields of a user patch and returns the normalized
// roles (nil when roles do not change). Administrators may neither demote nor
// restrict themselves, which could leave nobody to administer Berth.
func checkUserPatch(req *apiv1.PatchUserRequest, self bool) ([]string, error) {
	var fe workload.FieldErrors
	var roles []string
	if req.Roles != nil {
		roles = normalizeRoles(*req.Roles, &fe)
		if self && !slices.Contains(roles, apiv1.RoleSystemAdmin) {
			fe = append(fe, workload.FieldError{Field: "roles", Rule: "an administrator may not drop their own system-admin role"})
		}
	}
	if req.Email != nil {
		checkEmail(*req.Email, &fe)
	}
	if req.Password != nil {
		checkPassword(*req.Password, &fe)
	}
	if rt := req.RestrictedType; rt != nil && (*rt < 0 || *rt > 1 || (self && *rt != 0)) {
		fe = append(fe, workload.FieldError{Field: "restrictedType", Rule: "must be 0 (active) or 1 (restricted), and 0 for yourself"})
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	return roles, nil
}

func applyUserPatch(u *auth.User, req *apiv1.PatchUserRequest, roles, member []string, hash string) {
	if roles != nil {
		u.Roles = roles
	}
	if member != nil {
		u.Workspaces = member
	}
	if req.AvatarURL != nil {
		u.AvatarURL = *req.AvatarURL
	}
	if req.Email != nil {
		u.Email = *req.Email
	}
	if req.RestrictedType != nil {
		u.RestrictedType = *req.RestrictedType
	}
	if hash != "" {
		u.PasswordHash = hash
	}
	if hash != "" || req.RestrictedType != nil {
		u.TokenGeneration = auth.NewTokenGeneration() // earlier logins end
	}
}

func checkEmail(email string, fe *workload.FieldErrors) {
	if email == "" {
		return
	}
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		*fe = append(*fe, workload.FieldError{Field: "email", Rule: "must be an e-mail address like alice@example.com"})
	}
}

func checkPassword(pw string, fe *workload.FieldErrors) {
	if len([]rune(pw)) < MinPasswordLen || len(pw) > MaxPasswordLen {
		*fe = append(*fe, workload.FieldError{Field: "password", Rule: "must be 8 characters to 72 bytes long"})
	}
}

// normalizeRoles checks roles and collapses them: an administrator holds just
// system-admin, anyone else just default (the reference's rule).
func normalizeRoles(roles []string, fe *workload.FieldErrors) []string {
	admin := false
	for i, r := range roles {
		switch r {
		case apiv1.RoleSystemAdmin:
			admin = true
		case apiv1.RoleDefault:
		default:
			*fe = append(*fe, workload.FieldError{Field: indexed("roles", i), Rule: "must be system-admin or default"})
		}
	}
	if admin {
		return []string{apiv1.RoleSystemAdmin}
	}
	return []string{apiv1.RoleDefault}
}
