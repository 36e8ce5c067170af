package auth

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
)

// The personas of the §7.2 matrix, about workspace "ws-a" and a workload or
// secret owned by "owner". The owner belongs to no workspace, so what it may do it
// may do as owner only. The restricted user is admin, member and manager at once;
// TestRestrictedOwner covers a restricted owner.
const (
	admin      = "system-admin"
	manager    = "manager"
	member     = "member"
	owner      = "owner"
	outsider   = "outsider"
	restricted = "restricted"
)

var personas = map[string]*User{
	admin:    {ID: "u-admin", Roles: []string{apiv1.RoleSystemAdmin}},
	manager:  {ID: "u-manager", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"ws-a"}},
	member:   {ID: "u-member", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"ws-a"}},
	owner:    {ID: "u-owner", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"ws-b"}},
	outsider: {ID: "u-outsider", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"ws-b"}},
	restricted: {
		ID: "u-restricted", Roles: []string{apiv1.RoleSystemAdmin}, Workspaces: []string{"ws-a"},
		RestrictedType: 1,
	},
}

func testWorkspace() *inventory.Workspace {
	return &inventory.Workspace{ID: "ws-a", Managers: []string{"u-manager", "u-restricted"}}
}

// allow lists the personas a case allows; every other persona is refused.
func allow(names ...string) map[string]bool {
	m := make(map[string]bool, len(personas))
	for p := range personas {
		m[p] = false
	}
	for _, p := range names {
		m[p] = true
	}
	return m
}

func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	ws := testWorkspace()
	const ownerID = "u-owner"
	shared := &inventory.Secret{ID: "s1", UserID: ownerID, WorkspaceIDs: []string{"ws-a"}}
	private := &inventory.Secret{ID: "s2", UserID: ownerID}

	tests := []struct {
		name  string
		check func(u *User) bool
		want  map[string]bool
	}{
		{"create workload in ws", func(u *User) bool { return CanCreateWorkload(u, ws) },
			allow(admin, manager, member)},
		{"create workload without ws", func(u *User) bool { return CanCreateWorkload(u, nil) },
			allow()},
		{"create p0", func(u *User) bool { return CanCreateWorkload(u, ws) && CanUsePriority(u, ws, 0, u.ID) },
			allow(admin, manager, member)},
		{"create p1", func(u *User) bool { return CanCreateWorkload(u, ws) && CanUsePriority(u, ws, 1, u.ID) },
			allow(admin, manager, member)},
		{"create p2", func(u *User) bool { return CanCreateWorkload(u, ws) && CanUsePriority(u, ws, 2, u.ID) },
			allow(admin, manager)},
		{"update to p1", func(u *User) bool { return CanUsePriority(u, ws, 1, ownerID) },
			allow(admin, manager, member, owner)},
		{"raise to p2", func(u *User) bool { return CanUsePriority(u, ws, 2, ownerID) },
			allow(admin, manager)},
		{"priority out of range", func(u *User) bool { return CanUsePriority(u, ws, 3, ownerID) },
			allow()},
		{"negative priority", func(u *User) bool { return CanUsePriority(u, ws, -1, ownerID) },
			allow()},
		{"list workloads of all workspaces", func(u *User) bool { return CanListWorkloads(u, nil) },
			allow(admin)},
		{"list workloads of ws", func(u *User) bool { return CanListWorkloads(u, ws) },
			allow(admin, manager, member)},
		{"get workload", func(u *User) bool { return CanGetWorkload(u, ws, ownerID) },
			allow(admin, manager, member, owner)},
		{"get workload without ws", func(u *User) bool { return CanGetWorkload(u, nil, ownerID) },
			allow(admin, owner)},
		{"see workload secrets", func(u *User) bool { return CanSeeSecrets(u, ownerID) },
			allow(admin, owner)},
		{"see secrets of ownerless workload", func(u *User) bool { return CanSeeSecrets(u, "") },
			allow(admin)},
		{"patch/stop/delete workload", func(u *User) bool { return CanChangeWorkload(u, ws, ownerID) },
			allow(admin, manager, owner)},
		{"clone workload", func(u *User) bool { return CanCloneWorkload(u, ownerID) },
			allow(admin, owner)},
		{"manage workspace", func(u *User) bool { return CanManageWorkspace(u, ws) },
			allow(admin, manager)},
		{"manage no workspace", func(u *User) bool { return CanManageWorkspace(u, nil) },
			allow()},
		{"use secret shared with ws", func(u *User) bool { return CanUseSecret(u, shared, "ws-a") },
			allow(admin, manager, member, owner)},
		{"use shared secret in another ws", func(u *User) bool { return CanUseSecret(u, shared, "ws-b") },
			allow(admin, owner)},
		{"use private secret", func(u *User) bool { return CanUseSecret(u, private, "ws-a") },
			allow(admin, owner)},
		{"use no secret", func(u *User) bool { return CanUseSecret(u, nil, "ws-a") },
			allow()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := make(map[string]bool, len(personas))
			for p, u := range personas {
				got[p] = tt.check(u)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("allowed personas (-want +got):\n%s", diff)
			}
			if tt.check(nil) {
				t.Error("a nil user is allowed")
			}
		})
	}
}

func TestRoleChecks(t *testing.T) {
	t.Parallel()
	ws := testWorkspace()
	type standing struct{ Admin, Member, Manages bool }
	want := map[string]standing{
		admin:      {Admin: true},
		manager:    {Member: true, Manages: true},
		member:     {Member: true},
		owner:      {},
		outsider:   {},
		restricted: {Admin: true, Member: true, Manages: true}, // roles only; Can* refuse it
	}
	got := map[string]standing{}
	for p, u := range personas {
		got[p] = standing{IsAdmin(u), IsMember(u, "ws-a"), Manages(u, ws)}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("standings (-want +got):\n%s", diff)
	}
	if IsAdmin(nil) || IsMember(nil, "ws-a") || Manages(nil, ws) || Manages(personas[manager], nil) {
		t.Error("nil user or workspace has a standing")
	}
	if IsMember(&User{Workspaces: []string{""}}, "") {
		t.Error("empty workspace id is a membership")
	}
	if Manages(&User{}, &inventory.Workspace{Managers: []string{""}}) {
		t.Error("user without id manages a workspace")
	}
}

func TestRestrictedOwner(t *testing.T) {
	t.Parallel()
	u := &User{ID: "u-x", Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"ws-a"}, RestrictedType: 2}
	ws := &inventory.Workspace{ID: "ws-a", Managers: []string{"u-x"}}
	sec := &inventory.Secret{UserID: "u-x", WorkspaceIDs: []string{"ws-a"}}
	got := map[string]bool{
		"create":    CanCreateWorkload(u, ws),
		"priority0": CanUsePriority(u, ws, 0, u.ID),
		"priority2": CanUsePriority(u, ws, 2, u.ID),
		"get":       CanGetWorkload(u, ws, u.ID),
		"secrets":   CanSeeSecrets(u, u.ID),
		"change":    CanChangeWorkload(u, ws, u.ID),
		"clone":     CanCloneWorkload(u, u.ID),
		"list":      CanListWorkloads(u, ws),
		"manage":    CanManageWorkspace(u, ws),
		"secret":    CanUseSecret(u, sec, "ws-a"),
	}
	for action, ok := range got {
		if ok {
			t.Errorf("restricted owner may %s", action)
		}
	}
}
