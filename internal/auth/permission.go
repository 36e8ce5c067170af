package auth

import (
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
)

// The Can* functions answer the permission matrix of the reference (behaviour
// §7.2). Each takes the caller, the workspace the request is about (nil when it
// is about none) and, for a workload, its owner's user id. A nil user, and a
// restricted one (RestrictedType ≥ 1), may do nothing.

// IsAdmin reports whether the user holds the system-admin role. It looks at roles
// only; the Can* functions also refuse restricted admins.
func IsAdmin(u *User) bool {
	return u != nil && slices.Contains(u.Roles, apiv1.RoleSystemAdmin)
}

// IsMember reports whether the user is a member of the workspace.
func IsMember(u *User, wsID string) bool {
	return u != nil && wsID != "" && slices.Contains(u.Workspaces, wsID)
}

// Manages reports whether the user is one of the workspace's managers.
func Manages(u *User, ws *inventory.Workspace) bool {
	return u != nil && ws != nil && u.ID != "" && ws.IsManager(u.ID)
}

// CanCreateWorkload: admins, the workspace's managers and its members.
func CanCreateWorkload(u *User, ws *inventory.Workspace) bool {
	return active(u) && ws != nil && (IsAdmin(u) || Manages(u, ws) || IsMember(u, ws.ID))
}

// CanUsePriority reports whether the user may create a workload with, or change
// one to, the priority. Priority 2 (high) needs an admin or a manager of the
// workspace; 0 and 1 anyone who may create the workload or change it. Priorities
// outside 0–2 are refused; they fail validation before authorization anyway.
func CanUsePriority(u *User, ws *inventory.Workspace, priority int, ownerID string) bool {
	switch priority {
	case 0, 1:
		return CanCreateWorkload(u, ws) || CanChangeWorkload(u, ws, ownerID)
	case 2:
		return active(u) && (IsAdmin(u) || Manages(u, ws))
	default:
		return false
	}
}

// CanGetWorkload: admins, the workspace's managers and members, and the owner.
// Members other than the owner see it without secrets; see CanSeeSecrets.
func CanGetWorkload(u *User, ws *inventory.Workspace, ownerID string) bool {
	return active(u) && (IsAdmin(u) || Manages(u, ws) || inWorkspace(u, ws) || owns(u, ownerID))
}

// CanSeeSecrets reports whether the user may see a workload's secrets: its owner
// or an admin.
func CanSeeSecrets(u *User, ownerID string) bool {
	return active(u) && (IsAdmin(u) || owns(u, ownerID))
}

// CanChangeWorkload covers patch, stop and delete: admins, the workspace's
// managers and the owner, but not other members.
func CanChangeWorkload(u *User, ws *inventory.Workspace, ownerID string) bool {
	return active(u) && (IsAdmin(u) || Manages(u, ws) || owns(u, ownerID))
}

// CanCloneWorkload: the owner or an admin. Cloning reads the source without a
// workspace context, so managing its workspace is not enough.
func CanCloneWorkload(u *User, ownerID string) bool {
	return active(u) && (IsAdmin(u) || owns(u, ownerID))
}

// CanListWorkloads reports whether the user may list the workspace's workloads,
// everyone's; a nil ws means all workspaces, which only admins may list.
func CanListWorkloads(u *User, ws *inventory.Workspace) bool {
	if ws == nil {
		return active(u) && IsAdmin(u)
	}
	return CanCreateWorkload(u, ws)
}

// CanManageWorkspace covers patching a workspace: admins and its managers. Giving
// it nodes of the cluster, or taking them back, is for admins alone: the cluster's
// capacity is theirs to share out.
func CanManageWorkspace(u *User, ws *inventory.Workspace) bool {
	return active(u) && ws != nil && (IsAdmin(u) || Manages(u, ws))
}

// CanUseSecret reports whether the user may use the secret for a workload of
// workspace wsID: admins, the secret's owner, and members of wsID when the secret
// is shared with it.
func CanUseSecret(u *User, s *inventory.Secret, wsID string) bool {
	if !active(u) || s == nil {
		return false
	}
	return IsAdmin(u) || owns(u, s.UserID) ||
		(IsMember(u, wsID) && slices.Contains(s.WorkspaceIDs, wsID))
}

// active reports whether the user may act at all.
func active(u *User) bool { return u != nil && u.RestrictedType < 1 }

// owns reports whether the user is the owner with the given id.
func owns(u *User, ownerID string) bool { return ownerID != "" && u.ID == ownerID }

func inWorkspace(u *User, ws *inventory.Workspace) bool { return ws != nil && IsMember(u, ws.ID) }
