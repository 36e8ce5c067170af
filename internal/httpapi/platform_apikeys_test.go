package httpapi_test

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

func TestAPIKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.seedUser("alice"), e.seedUser("bob")
	aliceID := auth.NewUserID("alice")
	const path = "/api/v1/apikeys"
	var key apiv1.APIKey
	e.ok("POST", path, alice, apiv1.CreateAPIKeyRequest{Name: "ci"}, &key)
	if !strings.HasPrefix(key.Key, "ak-") || len(key.Key) != 46 || key.KeyHint != key.Key[42:] {
		t.Errorf("key %q hint %q: want ak- and 43 characters, hinted by the last 4", key.Key, key.KeyHint)
	}
	if key.Name != "ci" || key.UserID != aliceID || key.CreationTime == "" || key.ExpirationTime != "" {
		t.Errorf("key %+v: want name ci, owner alice, created, never expiring", key)
	}
	var month apiv1.APIKey
	e.ok("POST", path, alice, apiv1.CreateAPIKeyRequest{Name: "month", TTLDays: 30}, &month)
	exp, err := time.Parse("2006-01-02T15:04:05", month.ExpirationTime)
	if d := time.Until(exp); err != nil || d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("expirationTime %q: want about 30 days from now", month.ExpirationTime)
	}
	checkKeyStoredHashed(t, e, key.Key)

	var list apiv1.APIKeyList
	raw := e.ok("GET", path, alice, nil, &list)
	if bytes.Contains(raw, []byte(key.Key)) || bytes.Contains(raw, []byte(`"apiKey"`)) {
		t.Errorf("the list shows a key: %s", raw)
	}
	want := key
	want.Key = ""
	diff(t, "keys", apiv1.APIKeyList{TotalCount: 2, Items: sortKeys(want, withoutKey(month))}, list)

	var current apiv1.APIKey
	e.ok("GET", path+"/current", key.Key, nil, &current)
	diff(t, "current", want, current)
	var self apiv1.User
	e.ok("GET", "/api/v1/users/self", key.Key, nil, &self)
	if self.ID != aliceID {
		t.Errorf("the key acts as %s, want alice", self.ID)
	}
	e.run([]apiCase{
		{name: "no token", method: "POST", path: path, body: apiv1.CreateAPIKeyRequest{Name: "x"}, status: 401, code: apiv1.CodeUnauthorized},
		{name: "blank name", method: "POST", path: path, token: alice, body: apiv1.CreateAPIKeyRequest{Name: " "}, status: 400, code: apiv1.CodeBadRequest, msg: "name: must not be blank"},
		{name: "ttl too long", method: "POST", path: path, token: alice, body: apiv1.CreateAPIKeyRequest{Name: "x", TTLDays: 367}, status: 400, code: apiv1.CodeBadRequest, msg: "ttlDays: must be 0"},
		{name: "negative ttl", method: "POST", path: path, token: alice, body: apiv1.CreateAPIKeyRequest{Name: "x", TTLDays: -1}, status: 400, code: apiv1.CodeBadRequest, msg: "ttlDays"},
		{name: "current with a login token", method: "GET", path: path + "/current", token: alice, status: 404, code: apiv1.CodeNotFound},
		{name: "unknown key", method: "GET", path: "/api/v1/users/self", token: "ak-" + strings.Repeat("x", 43), status: 401, code: apiv1.CodeUnauthorized},
		{name: "delete another's key", method: "DELETE", path: path + "/" + key.ID, token: bob, status: 403, code: apiv1.CodeForbidden, msg: "The user is not allowed to delete apikey"},
		{name: "delete unknown", method: "DELETE", path: path + "/nope", token: alice, status: 404, code: apiv1.CodeNotFound},
		{name: "owner deletes", method: "DELETE", path: path + "/" + key.ID, token: alice, status: 200},
		{name: "deleted key", method: "GET", path: path + "/current", token: key.Key, status: 401, code: apiv1.CodeUnauthorized},
		{name: "admin deletes", method: "DELETE", path: path + "/" + month.ID, token: e.admin, status: 200},
	})
	e.ok("GET", path, alice, nil, &list)
	diff(t, "keys after delete", apiv1.APIKeyList{TotalCount: 0, Items: []apiv1.APIKey{}}, list)
}

func withoutKey(k apiv1.APIKey) apiv1.APIKey {
	k.Key = ""
	return k
}

// sortKeys orders keys as the store lists them: by id.
func sortKeys(ks ...apiv1.APIKey) []apiv1.APIKey {
	if len(ks) == 2 && ks[0].ID > ks[1].ID {
		ks[0], ks[1] = ks[1], ks[0]
	}
	return ks
}

// checkKeyStoredHashed checks that the store holds the key's keyed hash and that the
// key itself appears nowhere in the database files.
func checkKeyStoredHashed(t *testing.T, e *env, key string) {
	t.Helper()
	k, err := e.store.APIKeyGetByHash(t.Context(), e.svc.Keys.HashAPIKey(key))
	if err != nil {
		t.Fatalf("no key stored under the hash: %v", err)
	}
	if k.Hash == key || strings.Contains(k.Hash, key[3:]) {
		t.Errorf("stored hash %q holds the key", k.Hash)
	}
	for _, suffix := range []string{"", "-wal"} {
		data, err := os.ReadFile(e.dbPath + suffix)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(key[3:])) {
			t.Errorf("%s holds the API key in plain text", e.dbPath+suffix)
		}
	}
}
