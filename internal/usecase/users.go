package usecase

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// Password length limits: bcrypt ignores whatever follows the 72nd byte.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// UserTypeDefault is the type of every user: Berth has no single sign-on.
const UserTypeDefault = "default"

// SelfID stands for the caller in /api/v1/users/{id}.
const SelfID = "self"

var userNameRe = regexp.MustCompile(`^[a-z][-a-z0-9_.]{0,62}$`)

const userNameRule = "must start with a lower-case letter and hold only lower-case letters, digits, '-', '_' and '.', at most 63 characters"

func userNotFound(id string) *Error { return notFound("User %s not found.", id) }

func conflict(format string, args ...any) *Error {
	return newError(apiv1.CodeAlreadyExist, format, args...)
}

// CreateUser answers POST /api/v1/users: administrators add users, who also join
// every default workspace. It returns the new user's id.
func (s *Service) CreateUser(ctx context.Context, caller *auth.User, req *apiv1.CreateUserRequest) (string, error) {
	if !auth.IsAdmin(caller) {
		return "", forbidden("The user is not allowed to create user")
	}
	roles, err := checkCreateUser(req)
	if err != nil {
		return "", err
	}
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return "", err
	}
	member, err := existingWorkspaces(req.Workspaces, wss)
	if err != nil {
		return "", err
	}
	for _, ws := range wss {
		if ws.IsDefault && !slices.Contains(member, ws.ID) {
			member = append(member, ws.ID)
		}
	}
	hash, err := auth.HashPassword(req.Password)
	if err != nil {
		return "", err
	}
	u := &auth.User{
		ID: auth.NewUserID(req.Name), Name: req.Name, Email: req.Email, PasswordHash: hash,
		TokenGeneration: auth.NewTokenGeneration(),
		Roles:           roles, Workspaces: member, AvatarURL: req.AvatarURL, CreationTime: s.now(),
	}
	if err := s.Store.UserInsert(ctx, u); errors.Is(err, store.ErrConflict) {
		return "", conflict("User %s already exists", req.Name)
	} else if err != nil {
		return "", err
	}
	return u.ID, nil
}

// checkCreateUser validates a new user and returns their normalized roles.
func checkCreateUser(req *apiv1.CreateUserRequest) ([]string, error) {
	var fe workload.FieldErrors
	if !userNameRe.MatchString(req.Name) {
		fe = append(fe, workload.FieldError{Field: "name", Rule: userNameRule})
	}
	checkEmail(req.Email, &fe)
	checkPassword(req.Password, &fe)
	roles := normalizeRoles(req.Roles, &fe)
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	return roles, nil
}

// ListUsers answers GET /api/v1/users?name&email&workspaceId. Administrators see
// everyone; members and managers of workspaceId see its members; anyone else sees
// only themselves.
func (s *Service) ListUsers(ctx context.Context, caller *auth.User, q url.Values) (*apiv1.UserList, error) {
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, err
	}
	// As in the reference, the workspace is a filter: an administrator naming one
	// that does not exist gets an empty list; anyone else belongs to no such workspace.
	wsID := q.Get("workspaceId")
	ws := findWorkspace(wss, wsID)
	if wsID != "" && !auth.IsAdmin(caller) && (ws == nil || !auth.IsMember(caller, ws.ID) && !auth.Manages(caller, ws)) {
		return nil, forbidden("The user is not allowed to list user")
	}
	users, err := s.Store.UserList(ctx)
	if err != nil {
		return nil, err
	}
	name, email := strings.ToLower(q.Get("name")), strings.ToLower(q.Get("email"))
	out := &apiv1.UserList{Items: []apiv1.User{}}
	for _, u := range users {
		switch {
		case wsID != "" && ws == nil,
			ws == nil && !auth.IsAdmin(caller) && u.ID != caller.ID,
			ws != nil && !auth.IsMember(u, ws.ID) && !ws.IsManager(u.ID),
			!strings.Contains(strings.ToLower(u.Name), name),
			!strings.Contains(strings.ToLower(u.Email), email):
			continue
		}
		out.Items = append(out.Items, userView(u, wss))
	}
	out.TotalCount = len(out.Items)
	return out, nil
}

// GetUser answers GET /api/v1/users/{id}: administrators and the user themselves.
func (s *Service) GetUser(ctx context.Context, caller *auth.User, id string) (*apiv1.User, error) {
	if id == SelfID {
		id = caller.ID
	}
	if !auth.IsAdmin(caller) && id != caller.ID {
		return nil, forbidden("The user is not allowed to get user")
	}
	u, err := s.user(ctx, id)
	if err != nil {
		return nil, err
	}
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return nil, err
	}
	v := userView(u, wss)
	return &v, nil
}

// DeleteUser answers DELETE /api/v1/users/{id}: administrators delete anyone but
// themselves. The user's API keys go too, and they stop managing workspaces.
func (s *Service) DeleteUser(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete user")
	}
	if id == caller.ID || id == SelfID {
		return forbidden("The user is not allowed to delete user: an administrator cannot delete themselves")
	}
	if _, err := s.user(ctx, id); err != nil {
		return err
	}
	// Deleting the user first locks them out at once: authentication loads the user.
	if err := s.Store.UserDelete(ctx, id); err != nil {
		return err
	}
	keys, err := s.Store.APIKeyListByUser(ctx, id)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := s.Store.APIKeyDelete(ctx, k.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	return s.dropManager(ctx, id)
}

// dropManager removes the user from the managers of every workspace.
func (s *Service) dropManager(ctx context.Context, userID string) error {
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return err
	}
	for _, ws := range wss {
		if !ws.IsManager(userID) {
			continue
		}
		err := s.updateWorkspace(ctx, ws.ID, func(w *inventory.Workspace) error {
			w.Managers = slices.DeleteFunc(w.Managers, func(m string) bool { return m == userID })
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// user loads a user, answering 404 when missing.
func (s *Service) user(ctx context.Context, id string) (*auth.User, error) {
	u, err := s.Store.UserGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, userNotFound(id)
	}
	return u, err
}

// userView shows a user without their password hash.
func userView(u *auth.User, wss []*inventory.Workspace) apiv1.User {
	v := apiv1.User{
		ID: u.ID, Name: u.Name, Email: u.Email, Type: UserTypeDefault,
		Roles: nonNil(u.Roles), Workspaces: []apiv1.IDName{}, ManagedWorkspaces: []apiv1.IDName{},
		CreationTime: workload.FormatTime(u.CreationTime), RestrictedType: u.RestrictedType,
		AvatarURL: u.AvatarURL,
	}
	for _, ws := range wss {
		if slices.Contains(u.Workspaces, ws.ID) {
			v.Workspaces = append(v.Workspaces, apiv1.IDName{ID: ws.ID, Name: ws.Name})
		}
		if ws.IsManager(u.ID) {
			v.ManagedWorkspaces = append(v.ManagedWorkspaces, apiv1.IDName{ID: ws.ID, Name: ws.Name})
		}
	}
	return v
}

// existingWorkspaces returns ids without duplicates, answering 404 for one that
// is not among wss.
func existingWorkspaces(ids []string, wss []*inventory.Workspace) ([]string, error) {
	out := []string{}
	for _, id := range ids {
		if findWorkspace(wss, id) == nil {
			return nil, workspaceNotFound(id)
		}
		if !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out, nil
}

func findWorkspace(wss []*inventory.Workspace, id string) *inventory.Workspace {
	for _, ws := range wss {
		if ws.ID == id {
			return ws
		}
	}
	return nil
}

// indexed names element i of a list field: "roles[2]".
func indexed(field string, i int) string { return field + "[" + strconv.Itoa(i) + "]" }

// nonNil returns s, or an empty slice for nil, so that JSON shows [] and not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
