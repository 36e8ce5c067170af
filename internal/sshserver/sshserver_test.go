package sshserver

import (
	"bytes"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/store/sqlite"
)

func TestParseUser(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want target
		bad  bool
	}{
		{name: "u1.dev-abc-master-0.ws1", want: target{userID: "u1", podID: "dev-abc-master-0", workspace: "ws1"}},
		{name: "u1.dev-abc-master-0.main.bash", want: target{userID: "u1", podID: "dev-abc-master-0", container: "main", shell: "bash"}},
		{name: "u1.pod", bad: true},
		{name: "u1.pod.main.bash.extra", bad: true},
		{name: "u1..ws1", bad: true},
		{name: "u1.pod.main.", bad: true},
		{name: "u1.pod.main.sh;id", bad: true},
		{name: "root", bad: true},
	}
	for _, tc := range tests {
		got, err := parseUser(tc.name)
		if (err != nil) != tc.bad {
			t.Errorf("parseUser(%q) error = %v, want an error: %v", tc.name, err, tc.bad)
			continue
		}
		if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(target{})); !tc.bad && diff != "" {
			t.Errorf("parseUser(%q) (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestHostKeyShared: servers of one store, racing or not, present one host key,
// which is stored sealed: a server with another secret cannot open it.
func TestHostKeyShared(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(t.Context(), t.TempDir()+"/berth.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := auth.NewKeys(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	const servers = 4
	got := make([][]byte, servers)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Go(func() {
			signer, err := HostKey(t.Context(), st, keys)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = signer.PublicKey().Marshal()
		})
	}
	wg.Wait()
	for i := 1; i < servers; i++ {
		if !bytes.Equal(got[0], got[i]) || got[i] == nil {
			t.Fatalf("server %d presents another host key than server 0", i)
		}
	}
	stored, err := st.HostKeyGet(t.Context(), hostKeyID)
	if err != nil || bytes.Contains(stored.Sealed, []byte("PRIVATE KEY")) {
		t.Fatalf("stored host key %q, %v: want it sealed", stored.Sealed, err)
	}
	other, err := auth.NewKeys(bytes.Repeat([]byte{8}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := HostKey(t.Context(), st, other); err == nil {
		t.Error("a server with another secret opened the host key")
	}
}
