package httpapi_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// team is an env with cluster c1 and workspace c1-team (nodes n1 and n4), managed
// by mgr, with member alice; bob belongs to no workspace.
type team struct {
	*env
	mgr, alice, bob string // login tokens
}

const teamID = "c1-team"

func newTeam(t *testing.T) *team {
	t.Helper()
	e := newEnv(t)
	e.seedCluster()
	tm := &team{env: e, mgr: e.seedUser("mgr"), alice: e.seedUser("alice"), bob: e.seedUser("bob")}
	var resp apiv1.CreateWorkspaceResponse
	e.ok("POST", "/api/v1/workspaces", e.admin, apiv1.CreateWorkspaceRequest{
		Name: "team", Managers: []string{auth.NewUserID("mgr")}, NodeIDs: []string{"n1", "n4"},
	}, &resp)
	if resp.WorkspaceID != teamID {
		t.Fatalf("workspace id %q, want %s", resp.WorkspaceID, teamID)
	}
	e.ok("PATCH", "/api/v1/users/"+auth.NewUserID("alice"), e.admin, apiv1.PatchUserRequest{Workspaces: &[]string{teamID}}, nil)
	return tm
}

func TestUserCreate(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	body := func(mod func(*apiv1.CreateUserRequest)) apiv1.CreateUserRequest {
		r := apiv1.CreateUserRequest{Name: "carol", Email: "carol@example.com", Password: "carol-password", Workspaces: []string{teamID}}
		mod(&r)
		return r
	}
	const path = "/api/v1/users"
	tm.run([]apiCase{
		{name: "no token", method: "POST", path: path, body: body(func(*apiv1.CreateUserRequest) {}), status: 401, code: apiv1.CodeUnauthorized},
		{name: "member", method: "POST", path: path, token: tm.alice, body: body(func(*apiv1.CreateUserRequest) {}),
			status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to create user"},
		{name: "manager", method: "POST", path: path, token: tm.mgr, body: body(func(*apiv1.CreateUserRequest) {}), status: 403, code: apiv1.CodeForbidden},
		{name: "bad name", method: "POST", path: path, token: tm.admin, body: body(func(r *apiv1.CreateUserRequest) { r.Name = "Carol!" }),
			status: 400, code: apiv1.CodeBadRequest, msg: "name: must start with a lower-case letter"},
		{name: "bad email", method: "POST", path: path, token: tm.admin, body: body(func(r *apiv1.CreateUserRequest) { r.Email = "carol" }),
			status: 400, code: apiv1.CodeBadRequest, msg: "email: must be an e-mail address"},
		{name: "short password", method: "POST", path: path, token: tm.admin, body: body(func(r *apiv1.CreateUserRequest) { r.Password = "short" }),
			status: 400, code: apiv1.CodeBadRequest, msg: "password: must be 8 characters"},
		{name: "bad role", method: "POST", path: path, token: tm.admin, body: body(func(r *apiv1.CreateUserRequest) { r.Roles = []string{"default", "root"} }),
			status: 400, code: apiv1.CodeBadRequest, msg: "roles[1]: must be system-admin or default"},
		{name: "every problem", method: "POST", path: path, token: tm.admin, body: apiv1.CreateUserRequest{},
			status: 400, code: apiv1.CodeBadRequest, msg: "; password: must be 8 characters"},
		{name: "unknown workspace", method: "POST", path: path, token: tm.admin, body: body(func(r *apiv1.CreateUserRequest) { r.Workspaces = []string{"c1-none"} }),
			status: 404, code: apiv1.CodeWorkspaceNotFound, msg: "Workspace c1-none not found."},
		{name: "bad body", method: "POST", path: path, token: tm.admin, body: `{"roles": "x"}`, status: 400, code: apiv1.CodeBadRequest, msg: "roles"},
		{name: "created", method: "POST", path: path, token: tm.admin, body: body(func(*apiv1.CreateUserRequest) {}), status: 200},
		{name: "duplicate", method: "POST", path: path, token: tm.admin, body: body(func(*apiv1.CreateUserRequest) {}),
			status: 409, code: apiv1.CodeAlreadyExist, msg: "User carol already exists"},
	})
	var created struct{ ID string }
	tm.ok("POST", path, tm.admin, apiv1.CreateUserRequest{Name: "dave", Password: "dave-password", Roles: []string{"default", "system-admin"}}, &created)
	if created.ID != auth.NewUserID("dave") {
		t.Errorf("id %q, want md5 of the name %s", created.ID, auth.NewUserID("dave"))
	}
	var dave apiv1.User
	tm.ok("GET", "/api/v1/users/"+created.ID, tm.admin, nil, &dave)
	diff(t, "roles", []string{"system-admin"}, dave.Roles)
	stored, err := tm.store.UserGet(t.Context(), created.ID)
	if err != nil || stored.PasswordHash == "" || strings.Contains(stored.PasswordHash, "dave-password") || !auth.CheckPassword(stored.PasswordHash, "dave-password") {
		t.Errorf("stored user %+v, %v: want a bcrypt hash of the password", stored, err)
	}
}

func TestUserGetAndList(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	mgrID, aliceID := auth.NewUserID("mgr"), auth.NewUserID("alice")
	var mgr apiv1.User
	raw := tm.ok("GET", "/api/v1/users/"+mgrID, tm.admin, nil, &mgr)
	ws := []apiv1.IDName{{ID: teamID, Name: "team"}}
	diff(t, "manager", apiv1.User{ID: mgrID, Name: "mgr", Type: "default", Roles: []string{"default"}, Workspaces: ws, ManagedWorkspaces: ws}, mgr,
		cmpopts.IgnoreFields(apiv1.User{}, "CreationTime"))
	if strings.Contains(strings.ToLower(string(raw)), "password") || strings.Contains(string(raw), "$2a$") {
		t.Errorf("user view shows a password: %s", raw)
	}
	var self apiv1.User
	tm.ok("GET", "/api/v1/users/self", tm.alice, nil, &self)
	diff(t, "self", apiv1.User{ID: aliceID, Name: "alice", Type: "default", Roles: []string{"default"}, Workspaces: ws, ManagedWorkspaces: []apiv1.IDName{}}, self,
		cmpopts.IgnoreFields(apiv1.User{}, "CreationTime"))
	tm.run([]apiCase{
		{name: "other user", method: "GET", path: "/api/v1/users/" + mgrID, token: tm.alice, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to get user"},
		{name: "unknown", method: "GET", path: "/api/v1/users/nobody", token: tm.admin, status: 404, code: apiv1.CodeNotFound, msg: "User nobody not found."},
		{name: "no token", method: "GET", path: "/api/v1/users/self", status: 401, code: apiv1.CodeUnauthorized},
		{name: "list another workspace", method: "GET", path: "/api/v1/users?workspaceId=" + teamID, token: tm.bob, status: 403, code: apiv1.CodeForbidden},
		{name: "member lists an unknown workspace", method: "GET", path: "/api/v1/users?workspaceId=c1-x", token: tm.alice, status: 403, code: apiv1.CodeForbidden},
	})
	for _, tc := range []struct {
		name, token, query string
		want               []string
	}{
		{"admin sees all", tm.admin, "", []string{"admin", "alice", "bob", "mgr"}},
		{"admin filters by name", tm.admin, "?name=LI", []string{"alice"}},
		{"admin filters by workspace", tm.admin, "?workspaceId=" + teamID, []string{"alice", "mgr"}},
		{"admin filters by an unknown workspace", tm.admin, "?workspaceId=c1-x", nil},
		{"member sees themselves", tm.bob, "", []string{"bob"}},
		{"member sees their workspace", tm.alice, "?workspaceId=" + teamID + "&unknown=1", []string{"alice", "mgr"}},
		{"empty values do not filter", tm.alice, "?workspaceId=&name=", []string{"alice"}},
	} {
		var list apiv1.UserList
		tm.ok("GET", "/api/v1/users"+tc.query, tc.token, nil, &list)
		var names []string
		for _, u := range list.Items {
			names = append(names, u.Name)
		}
		diff(t, tc.name, tc.want, names)
		if list.TotalCount != len(tc.want) {
			t.Errorf("%s: totalCount %d, want %d", tc.name, list.TotalCount, len(tc.want))
		}
	}
}

func TestUserPatchAndDelete(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	adminID, aliceID, bobID := auth.NewUserID("admin"), auth.NewUserID("alice"), auth.NewUserID("bob")
	str := func(s string) *string { return &s }
	path := "/api/v1/users/"
	tm.run([]apiCase{
		{name: "self email", method: "PATCH", path: path + aliceID, token: tm.alice, body: apiv1.PatchUserRequest{Email: str("a@example.com")}, status: 200},
		{name: "self roles", method: "PATCH", path: path + aliceID, token: tm.alice, body: apiv1.PatchUserRequest{Roles: &[]string{"system-admin"}},
			status: 403, code: apiv1.CodeForbidden, msg: "only an administrator may change roles"},
		{name: "other user", method: "PATCH", path: path + bobID, token: tm.alice, body: apiv1.PatchUserRequest{Email: str("b@example.com")},
			status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to update user"},
		{name: "bad email", method: "PATCH", path: path + "self", token: tm.alice, body: apiv1.PatchUserRequest{Email: str("nope")},
			status: 400, code: apiv1.CodeBadRequest, msg: "email"},
		{name: "short password", method: "PATCH", path: path + "self", token: tm.alice, body: apiv1.PatchUserRequest{Password: str("1234")},
			status: 400, code: apiv1.CodeBadRequest, msg: "password"},
		{name: "admin demotes themselves", method: "PATCH", path: path + adminID, token: tm.admin, body: apiv1.PatchUserRequest{Roles: &[]string{"default"}},
			status: 400, code: apiv1.CodeBadRequest, msg: "roles: an administrator may not drop"},
		{name: "bad restrictedType", method: "PATCH", path: path + bobID, token: tm.admin, body: map[string]int{"restrictedType": 2},
			status: 400, code: apiv1.CodeBadRequest, msg: "restrictedType"},
		{name: "unknown workspace", method: "PATCH", path: path + bobID, token: tm.admin, body: apiv1.PatchUserRequest{Workspaces: &[]string{"c1-x"}},
			status: 404, code: apiv1.CodeWorkspaceNotFound},
		{name: "unknown user", method: "PATCH", path: path + "nobody", token: tm.admin, body: apiv1.PatchUserRequest{AvatarURL: str("x")},
			status: 404, code: apiv1.CodeNotFound, msg: "User nobody not found."},
		{name: "admin promotes", method: "PATCH", path: path + bobID, token: tm.admin, body: apiv1.PatchUserRequest{Roles: &[]string{"system-admin"}}, status: 200},
		{name: "member deletes", method: "DELETE", path: path + bobID, token: tm.alice, status: 403, code: apiv1.CodeForbidden},
		{name: "self password", method: "PATCH", path: path + "self", token: tm.alice, body: apiv1.PatchUserRequest{Password: str("new-password")}, status: 200},
		{name: "token from before the password change", method: "GET", path: path + "self", token: tm.alice, status: 401, code: apiv1.CodeUnauthorized},
		{name: "new password", method: "POST", path: "/api/v1/login", body: apiv1.LoginRequest{Name: "alice", Password: "new-password"}, status: 200},
		{name: "old password", method: "POST", path: "/api/v1/login", body: apiv1.LoginRequest{Name: "alice", Password: userPassword}, status: 401},
		{name: "admin deletes themselves", method: "DELETE", path: path + adminID, token: tm.admin, status: 403, code: apiv1.CodeForbidden, msg: "cannot delete themselves"},
		{name: "delete unknown", method: "DELETE", path: path + "nobody", token: tm.admin, status: 404, code: apiv1.CodeNotFound},
		{name: "delete", method: "DELETE", path: path + aliceID, token: tm.admin, status: 200},
		{name: "deleted", method: "GET", path: path + aliceID, token: tm.admin, status: 404, code: apiv1.CodeNotFound},
	})
	var login apiv1.LoginResponse
	tm.ok("POST", "/api/v1/login", "", apiv1.LoginRequest{Name: "bob", Password: userPassword}, &login)
	diff(t, "promoted roles", []string{"system-admin"}, login.Roles)
	// The manager's deletion also removes them from the workspace's managers.
	tm.ok("DELETE", path+auth.NewUserID("mgr"), tm.admin, nil, nil)
	var ws apiv1.Workspace
	tm.ok("GET", "/api/v1/workspaces/"+teamID, tm.admin, nil, &ws)
	diff(t, "managers", []apiv1.IDName{}, ws.Managers)
}
