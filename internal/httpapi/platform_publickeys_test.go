package httpapi_test

import (
	"testing"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
)

// A second key, so that lists hold two different keys.
const otherPublicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAFVU9T7nUjWzFJGALNPF9NTNZHJ2OV4/FJkrIqeR5Fz other"

func TestPublicKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	alice, bob := e.seedUser("alice"), e.seedUser("bob")
	const path = "/api/v1/publickeys"
	var laptop, desk apiv1.PublicKey
	e.ok("POST", path, alice, apiv1.CreatePublicKeyRequest{Name: "laptop", Description: "mine", PublicKey: " " + testPublicKey + "\n"}, &laptop)
	if laptop.UserID != auth.NewUserID("alice") || laptop.PublicKey != testPublicKey || !laptop.Status ||
		laptop.CreateTime == "" || laptop.UpdateTime != laptop.CreateTime || laptop.Description != "mine" {
		t.Errorf("created %+v: want alice's enabled key, trimmed, created now", laptop)
	}
	e.ok("POST", path, alice, apiv1.CreatePublicKeyRequest{Name: "desk", PublicKey: otherPublicKey}, &desk)
	var bobs apiv1.PublicKey
	e.ok("POST", path, bob, apiv1.CreatePublicKeyRequest{Name: "bob", PublicKey: otherPublicKey}, &bobs)

	var list apiv1.PublicKeyList
	e.ok("GET", path+"?sortBy=name&order=asc", alice, nil, &list)
	diff(t, "alice's keys by name", apiv1.PublicKeyList{TotalCount: 2, Items: []apiv1.PublicKey{desk, laptop}}, list)
	e.ok("GET", path+"?sortBy=name&order=asc&offset=1&limit=1", alice, nil, &list)
	diff(t, "second page", apiv1.PublicKeyList{TotalCount: 2, Items: []apiv1.PublicKey{laptop}}, list)
	e.ok("GET", path, e.admin, nil, &list)
	if list.TotalCount != 3 {
		t.Errorf("the admin lists %d keys, want everyone's 3", list.TotalCount)
	}

	e.ok("PUT", path+"/"+laptop.ID+"/status", alice, apiv1.PublicKeyStatusRequest{Status: new(false)}, nil)
	e.ok("GET", path+"?sortBy=name&order=asc", alice, nil, &list)
	if len(list.Items) != 2 || list.Items[1].Status {
		t.Errorf("after disabling, laptop = %+v, want status false", list.Items)
	}
	e.ok("DELETE", path+"/"+desk.ID, alice, nil, nil)
	e.ok("GET", path, alice, nil, &list)
	if list.TotalCount != 1 || list.Items[0].ID != laptop.ID {
		t.Errorf("after deleting desk: %+v, want laptop alone", list)
	}

	br := apiv1.CodeBadRequest
	e.run([]apiCase{
		{name: "not a key", method: "POST", path: path, token: alice, body: apiv1.CreatePublicKeyRequest{PublicKey: "ssh-rsa nope"}, status: 400, code: br, msg: "publicKey: must be not an SSH public key"},
		{name: "empty key", method: "POST", path: path, token: alice, body: apiv1.CreatePublicKeyRequest{}, status: 400, code: br, msg: "publicKey"},
		{name: "two keys", method: "POST", path: path, token: alice, body: apiv1.CreatePublicKeyRequest{PublicKey: testPublicKey + "\n" + otherPublicKey}, status: 400, code: br, msg: "publicKey"},
		{name: "options", method: "POST", path: path, token: alice, body: apiv1.CreatePublicKeyRequest{PublicKey: `command="sh" ` + testPublicKey}, status: 400, code: br, msg: "publicKey"},
		{name: "bad sort", method: "GET", path: path + "?sortBy=key", token: alice, status: 400, code: br, msg: "sortBy"},
		{name: "status missing", method: "PUT", path: path + "/" + laptop.ID + "/status", token: alice, body: map[string]any{}, status: 400, code: br, msg: "status: is required"},
		{name: "status not a bool", method: "PUT", path: path + "/" + laptop.ID + "/status", token: alice, body: map[string]any{"status": "yes"}, status: 400, code: br, msg: "status"},
		{name: "another's key", method: "DELETE", path: path + "/" + laptop.ID, token: bob, status: 404, code: apiv1.CodeNotFound},
		{name: "unknown key", method: "PUT", path: path + "/nope/status", token: alice, body: apiv1.PublicKeyStatusRequest{Status: new(true)}, status: 404, code: apiv1.CodeNotFound},
	})
}
