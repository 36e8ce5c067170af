package storetest

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store"
)

var publicKeyTests = slices.Concat(
	crudTests("PublicKey", func(s store.Store) entity[auth.PublicKey] {
		return entity[auth.PublicKey]{
			insert: s.PublicKeyInsert, get: s.PublicKeyGet,
			list:   func(ctx context.Context) ([]*auth.PublicKey, error) { return s.PublicKeyList(ctx, "") },
			update: s.PublicKeyUpdate, remove: s.PublicKeyDelete,
			make:    func(id string) *auth.PublicKey { return newPublicKey(id, "u1") },
			change:  func(k *auth.PublicKey, i int) { k.Description = label(i); k.Enabled = i%2 == 0 },
			version: func(k *auth.PublicKey) *int64 { return &k.Version },
		}
	}),
	[]test{
		{"PublicKeyListByUser", testPublicKeyListByUser},
		{"HostKey", testHostKey},
	},
)

func newPublicKey(id, userID string) *auth.PublicKey {
	return &auth.PublicKey{
		ID: id, UserID: userID, Name: "key " + id, Description: "laptop",
		Key: "ssh-ed25519 AAAA" + id, Fingerprint: "SHA256:" + id, Enabled: true,
		CreationTime: base, UpdateTime: at(60),
	}
}

func testPublicKeyListByUser(t *testing.T, s store.Store) {
	ctx := t.Context()
	keys := []*auth.PublicKey{newPublicKey("k2", "u1"), newPublicKey("k1", "u1"), newPublicKey("k3", "u2")}
	for _, k := range keys {
		must(t, "PublicKeyInsert "+k.ID, s.PublicKeyInsert(ctx, k))
	}
	got, err := s.PublicKeyList(ctx, "u1")
	must(t, "PublicKeyList u1", err)
	if diff := cmp.Diff([]*auth.PublicKey{keys[1], keys[0]}, got); diff != "" {
		t.Errorf("PublicKeyList u1 (-want +got):\n%s", diff)
	}
	got, err = s.PublicKeyList(ctx, "nobody")
	must(t, "PublicKeyList nobody", err)
	if got == nil || len(got) != 0 {
		t.Errorf("PublicKeyList of a user without keys = %v, want empty, non-nil", got)
	}
}

func testHostKey(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.HostKeyGet(ctx, "ssh")
	wantErr(t, "HostKeyGet before insert", err, store.ErrNotFound)
	k := &auth.HostKey{ID: "ssh", Sealed: []byte{1, 2, 3}, CreationTime: base}
	must(t, "HostKeyInsert", s.HostKeyInsert(ctx, k))
	other := &auth.HostKey{ID: "ssh", Sealed: []byte{9}, CreationTime: at(1)}
	wantErr(t, "HostKeyInsert of a taken id", s.HostKeyInsert(ctx, other), store.ErrConflict)
	got, err := s.HostKeyGet(ctx, "ssh")
	must(t, "HostKeyGet", err)
	if diff := cmp.Diff(k, got); diff != "" {
		t.Errorf("HostKeyGet (-want +got):\n%s", diff)
	}
}
