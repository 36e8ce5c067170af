package auth

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// testKeys returns Keys over a fixed secret made of the byte b.
func testKeys(t *testing.T, b byte) *Keys {
	t.Helper()
	k, err := NewKeys(bytes.Repeat([]byte{b}, SecretSize))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadOrCreateKeys(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "data", "secret")
	k1, err := LoadOrCreateKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("secret file mode = %v, want 0600", mode)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("data dir holds %d entries, want just the secret", len(entries))
	}
	k2, err := LoadOrCreateKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k1.secret, k2.secret) {
		t.Error("second load read a different secret")
	}
	if k1.HashAPIKey("ak-x") != k2.HashAPIKey("ak-x") {
		t.Error("keys loaded twice hash differently")
	}
	other, err := LoadOrCreateKeys(filepath.Join(t.TempDir(), "secret"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(k1.secret, other.secret) {
		t.Error("two new secrets are equal")
	}
}

// Processes starting together agree on one secret.
func TestLoadOrCreateKeysRace(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "secret")
	const n = 8
	keys := make([]*Keys, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { keys[i], errs[i] = LoadOrCreateKeys(path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if !bytes.Equal(keys[i].secret, keys[0].secret) {
			t.Errorf("loader %d got another secret", i)
		}
	}
}

func TestLoadOrCreateKeysBadFile(t *testing.T) {
	t.Parallel()
	for name, content := range map[string]string{
		"not hex":   "zz",
		"too short": "abcd\n",
		"empty":     "",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadOrCreateKeys(path); err == nil {
				t.Error("LoadOrCreateKeys accepted a bad secret file")
			}
		})
	}
}

func TestNewKeysSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 16, 31, 33} {
		if _, err := NewKeys(make([]byte, n)); err == nil {
			t.Errorf("NewKeys accepted a %d-byte secret", n)
		}
	}
}

func TestInstanceID(t *testing.T) {
	a, b := make([]byte, SecretSize), make([]byte, SecretSize)
	b[0] = 1
	ka, err := NewKeys(a)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := NewKeys(a)
	kb, _ := NewKeys(b)
	if id := ka.InstanceID(); len(id) != 12 || id != again.InstanceID() || id == kb.InstanceID() {
		t.Errorf("instance ids %q, %q, %q: want 12 hex digits, equal for one secret, different for another",
			id, again.InstanceID(), kb.InstanceID())
	}
}
