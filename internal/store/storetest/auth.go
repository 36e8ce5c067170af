package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

var authTests = slices.Concat(
	crudTests("User", func(s store.Store) entity[auth.User] {
		return entity[auth.User]{
			insert: s.UserInsert, get: s.UserGet, list: s.UserList,
			update: s.UserUpdate, remove: s.UserDelete,
			make:    newUser,
			change:  func(u *auth.User, i int) { u.Workspaces = append(u.Workspaces, label(i)) },
			version: func(u *auth.User) *int64 { return &u.Version },
		}
	}),
	[]test{
		{"UserName", testUserName},
		{"APIKey", testAPIKey},
		{"APIKeyDuplicate", testAPIKeyDuplicate},
		{"TokenRevoke", testTokenRevoke},
	},
)

// newUser makes a user whose name sorts as its id does.
func newUser(id string) *auth.User {
	return &auth.User{
		ID: id, Name: "user-" + id, Email: id + "@example.com", PasswordHash: "$2a$10$hash",
		Roles: []string{apiv1.RoleDefault}, Workspaces: []string{"ws1"}, CreationTime: base,
	}
}

func testUserName(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Names sort the other way round from ids: the list follows names.
	z, a := newUser("1"), newUser("2")
	z.Name, a.Name = "zed", "amy"
	must(t, "UserInsert", s.UserInsert(ctx, z))
	must(t, "UserInsert", s.UserInsert(ctx, a))
	list, err := s.UserList(ctx)
	must(t, "UserList", err)
	if diff := cmp.Diff([]*auth.User{a, z}, list); diff != "" {
		t.Errorf("UserList (-want +got):\n%s", diff)
	}

	got, err := s.UserGetByName(ctx, "zed")
	must(t, "UserGetByName", err)
	if diff := cmp.Diff(z, got); diff != "" {
		t.Errorf("UserGetByName (-want +got):\n%s", diff)
	}
	_, err = s.UserGetByName(ctx, "Zed")
	wantErr(t, "UserGetByName of another case", err, store.ErrNotFound)

	taken := newUser("3")
	taken.Name = "amy"
	wantErr(t, "UserInsert of a taken name", s.UserInsert(ctx, taken), store.ErrConflict)
	z.Name = "amy"
	wantErr(t, "UserUpdate to a taken name", s.UserUpdate(ctx, z), store.ErrConflict)
	if z.Version != 1 {
		t.Errorf("Version after a failed update = %d, want 1", z.Version)
	}
	z.Name = "zoe"
	must(t, "UserUpdate rename", s.UserUpdate(ctx, z))
	_, err = s.UserGetByName(ctx, "zed")
	wantErr(t, "UserGetByName of the old name", err, store.ErrNotFound)
	if got, err := s.UserGetByName(ctx, "zoe"); err != nil || got.ID != "1" || got.Version != 2 {
		t.Errorf("UserGetByName(zoe) = %+v, %v; want user 1 at version 2", got, err)
	}
	// A deleted user's name is free again.
	must(t, "UserDelete", s.UserDelete(ctx, "2"))
	must(t, "UserInsert of a freed name", s.UserInsert(ctx, taken))
}

func newAPIKey(id, userID string) *auth.APIKey {
	return &auth.APIKey{
		ID: id, Name: "key " + id, UserID: userID, Hash: "hash-" + id, Hint: "…" + id,
		CreationTime: base, ExpirationTime: at(3600),
	}
}

func testAPIKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	never := newAPIKey("k3", "u1")
	never.ExpirationTime = time.Time{}
	keys := []*auth.APIKey{never, newAPIKey("k1", "u1"), newAPIKey("k2", "u2")}
	for _, k := range keys {
		must(t, "APIKeyInsert "+k.ID, s.APIKeyInsert(ctx, k))
	}
	got, err := s.APIKeyGetByHash(ctx, "hash-k3")
	must(t, "APIKeyGetByHash", err)
	if diff := cmp.Diff(never, got); diff != "" {
		t.Errorf("APIKeyGetByHash (-want +got):\n%s", diff)
	}
	_, err = s.APIKeyGetByHash(ctx, "nope")
	wantErr(t, "APIKeyGetByHash missing", err, store.ErrNotFound)

	list, err := s.APIKeyListByUser(ctx, "u1")
	must(t, "APIKeyListByUser", err)
	if diff := cmp.Diff([]*auth.APIKey{keys[1], keys[0]}, list); diff != "" {
		t.Errorf("APIKeyListByUser (-want +got):\n%s", diff)
	}
	list, err = s.APIKeyListByUser(ctx, "nobody")
	must(t, "APIKeyListByUser", err)
	if list == nil || len(list) != 0 {
		t.Errorf("APIKeyListByUser of a user without keys = %v (nil %v), want empty, non-nil", list, list == nil)
	}

	must(t, "APIKeyDelete", s.APIKeyDelete(ctx, "k3"))
	_, err = s.APIKeyGetByHash(ctx, "hash-k3")
	wantErr(t, "APIKeyGetByHash deleted", err, store.ErrNotFound)
	wantErr(t, "APIKeyDelete again", s.APIKeyDelete(ctx, "k3"), store.ErrNotFound)
	list, err = s.APIKeyListByUser(ctx, "u1")
	must(t, "APIKeyListByUser", err)
	if diff := cmp.Diff([]*auth.APIKey{keys[1]}, list); diff != "" {
		t.Errorf("APIKeyListByUser after delete (-want +got):\n%s", diff)
	}
}

func testAPIKeyDuplicate(t *testing.T, s store.Store) {
	ctx := t.Context()
	must(t, "APIKeyInsert", s.APIKeyInsert(ctx, newAPIKey("k1", "u1")))
	sameID := newAPIKey("k1", "u2")
	sameID.Hash = "other"
	wantErr(t, "APIKeyInsert of a taken id", s.APIKeyInsert(ctx, sameID), store.ErrConflict)
	sameHash := newAPIKey("k2", "u1")
	sameHash.Hash = "hash-k1"
	wantErr(t, "APIKeyInsert of a taken hash", s.APIKeyInsert(ctx, sameHash), store.ErrConflict)
	list, err := s.APIKeyListByUser(ctx, "u2")
	must(t, "APIKeyListByUser", err)
	if len(list) != 0 {
		t.Errorf("failed insert left %d keys for u2", len(list))
	}
}

func testTokenRevoke(t *testing.T, s store.Store) {
	ctx := t.Context()
	revoked := func(id string, want bool) {
		t.Helper()
		got, err := s.TokenRevoked(ctx, id)
		must(t, "TokenRevoked "+id, err)
		if got != want {
			t.Errorf("TokenRevoked(%s) = %v, want %v", id, got, want)
		}
	}
	revoked("a", false)
	must(t, "TokenRevoke a", s.TokenRevoke(ctx, store.TokenRevokeParams{ID: "a", Expire: at(3600), Now: base}))
	must(t, "TokenRevoke a again", s.TokenRevoke(ctx, store.TokenRevokeParams{ID: "a", Expire: at(3600), Now: base}))
	revoked("a", true)
	revoked("b", false)
	// Once a has expired, revoking another token forgets it: it is refused anyway.
	must(t, "TokenRevoke b", s.TokenRevoke(ctx, store.TokenRevokeParams{ID: "b", Expire: at(9000), Now: at(3600)}))
	revoked("a", false)
	revoked("b", true)
}
