package process

import (
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// heldIPs is the record of the IPs in dataDir: holder by IP. It fails the test if
// an IP has two holders, or a holder's name is not a link of its IP's symlink.
func heldIPs(t testing.TB, dataDir string) map[string]string {
	t.Helper()
	dir := filepath.Join(dataDir, podIPsDir)
	held := map[string]string{}
	for _, sub := range []string{podIPsPods, podIPsSlots} {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			holder, err := url.PathUnescape(e.Name())
			if err != nil {
				t.Fatal(err)
			}
			ip, err := os.Readlink(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			name, err1 := os.Lstat(filepath.Join(dir, sub, e.Name()))
			symlink, err2 := os.Lstat(filepath.Join(dir, ip))
			if err1 != nil || err2 != nil || !os.SameFile(name, symlink) {
				t.Fatalf("%s's name of %s is not a link of its symlink (%v, %v)", holder, ip, err1, err2)
			}
			if other, ok := held[ip]; ok {
				t.Fatalf("%s is held by %s and %s", ip, other, holder)
			}
			held[ip] = holder
		}
	}
	return held
}

func testPodIPs(dir string) *podIPs {
	return bridgeIPs(dir, Network{Subnet: netip.MustParsePrefix("10.1.2.0/24")}.withDefaults())
}

// assignOK assigns and fails the test on an error.
func assignOK(t *testing.T, ips *podIPs, pods []string) map[string]string {
	t.Helper()
	got, err := ips.assign(pods)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for pod, ip := range got {
		out[pod] = ip.String()
	}
	return out
}

// TestPodIPsSlotsAndPods: slots and pods hold IPs side by side, and a pod that holds
// one keeps it.
func TestPodIPsSlotsAndPods(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ips := testPodIPs(dir)
	assignOK(t, ips, []string{"slot-1-2-0", "a/1/a-0"})
	got := assignOK(t, testPodIPs(dir), []string{"a/1/a-0", "slot-1-2-1", "b/1/b-0"})
	want := map[string]string{"a/1/a-0": "10.1.2.3", "slot-1-2-1": "10.1.2.4", "b/1/b-0": "10.1.2.5"}
	if !maps.Equal(got, want) {
		t.Fatalf("assigned %v; want %v", got, want)
	}
	wantHeld := map[string]string{"10.1.2.2": "slot-1-2-0", "10.1.2.3": "a/1/a-0", "10.1.2.4": "slot-1-2-1", "10.1.2.5": "b/1/b-0"}
	if held := heldIPs(t, dir); !maps.Equal(held, wantHeld) {
		t.Fatalf("held %v; want %v", held, wantHeld)
	}
}

// TestPodIPsReleaseIf: releaseIf frees the IPs of the holders that match, releasePod
// one pod's, release a workload's; the freed IPs are handed out again.
func TestPodIPsReleaseIf(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ips := testPodIPs(dir)
	assignOK(t, ips, []string{"slot-7-1-0", "a/1/a-0", "slot-8-1-0", "a/1/a-1", "ab/1/ab-0"})
	if err := ips.releaseIf(func(h string) bool { return strings.HasPrefix(h, "slot-7-") }); err != nil {
		t.Fatal(err)
	}
	if err := ips.releasePod("a/1/a-1"); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"10.1.2.3": "a/1/a-0", "10.1.2.4": "slot-8-1-0", "10.1.2.6": "ab/1/ab-0"}
	if held := heldIPs(t, dir); !maps.Equal(held, want) {
		t.Fatalf("held %v; want %v", held, want)
	}
	if err := ips.release("a"); err != nil {
		t.Fatal(err)
	}
	delete(want, "10.1.2.3")
	if held := heldIPs(t, dir); !maps.Equal(held, want) {
		t.Fatalf("held after release of a %v; want %v", held, want)
	}
	got := assignOK(t, ips, []string{"c/1/c-0", "c/1/c-1", "c/1/c-2", "c/1/c-3"})
	if got["c/1/c-0"] != "10.1.2.2" || got["c/1/c-1"] != "10.1.2.3" || got["c/1/c-2"] != "10.1.2.5" || got["c/1/c-3"] != "10.1.2.7" {
		t.Errorf("assigned %v after releases; want the freed IPs first", got)
	}
}

// TestPodIPsMigrate: the holders of a legacy pod-ips.json keep their IPs, which no
// one else gets, and the file is gone.
func TestPodIPsMigrate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	legacy := map[string]string{"10.1.2.2": "a/1/a-0", "10.1.2.4": "slot-3-4-0"}
	if err := writeJSON(filepath.Join(dir, legacyPodIPsFile), legacy); err != nil {
		t.Fatal(err)
	}
	got := assignOK(t, testPodIPs(dir), []string{"a/1/a-0", "b/1/b-0", "b/1/b-1"})
	if want := map[string]string{"a/1/a-0": "10.1.2.2", "b/1/b-0": "10.1.2.3", "b/1/b-1": "10.1.2.5"}; !maps.Equal(got, want) {
		t.Errorf("assigned %v; want %v", got, want)
	}
	if _, err := os.Stat(filepath.Join(dir, legacyPodIPsFile)); !os.IsNotExist(err) {
		t.Errorf("%s after the move: %v; want it gone", legacyPodIPsFile, err)
	}
	if held := heldIPs(t, dir); held["10.1.2.4"] != "slot-3-4-0" || len(held) != 4 {
		t.Errorf("held %v; want the slot's IP kept and 4 in all", held)
	}
}

// TestPodIPsReused: a freed IP is handed out again with the symlink it had, no new
// inode; a symlink with no holder (a server killed before it linked it) is free; an
// assign that fails hands out nothing.
func TestPodIPsReused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ips := bridgeIPs(dir, Network{Subnet: netip.MustParsePrefix("10.1.2.0/29")}.withDefaults())
	assignOK(t, ips, []string{"a/1/a-0", "a/1/a-1"})
	before, err := os.Lstat(filepath.Join(dir, podIPsDir, "10.1.2.2"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("10.1.2.4", filepath.Join(dir, podIPsDir, "10.1.2.4")); err != nil {
		t.Fatal(err)
	}
	if err := ips.release("a"); err != nil {
		t.Fatal(err)
	}
	got := assignOK(t, bridgeIPs(dir, Network{Subnet: netip.MustParsePrefix("10.1.2.0/29")}.withDefaults()),
		[]string{"b/1/b-0", "b/1/b-1", "b/1/b-2"})
	if want := map[string]string{"b/1/b-0": "10.1.2.2", "b/1/b-1": "10.1.2.3", "b/1/b-2": "10.1.2.4"}; !maps.Equal(got, want) {
		t.Fatalf("assigned %v; want %v", got, want)
	}
	after, err := os.Lstat(filepath.Join(dir, podIPsDir, "10.1.2.2"))
	if err != nil || !os.SameFile(before, after) {
		t.Errorf("10.1.2.2 handed out again with a new symlink (%v); want the one it had", err)
	}
	if _, err := ips.assign([]string{"b/1/b-0", "c/1/c-0", "c/1/c-1", "c/1/c-2"}); err == nil {
		t.Fatal("assign beyond the subnet: no error")
	}
	want := map[string]string{"10.1.2.2": "b/1/b-0", "10.1.2.3": "b/1/b-1", "10.1.2.4": "b/1/b-2"}
	if held := heldIPs(t, dir); !maps.Equal(held, want) {
		t.Errorf("held after a failed assign %v; want %v", held, want)
	}
}

// TestPodIPsConcurrent: runtimes sharing a data dir, assigning at once, never hand
// one IP to two pods.
func TestPodIPsConcurrent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const runtimes, workers, pods = 2, 4, 20
	var mu sync.Mutex
	byIP := map[netip.Addr]string{}
	var wg sync.WaitGroup
	for r := range runtimes {
		ips := testPodIPs(dir)
		for w := range workers {
			wg.Go(func() {
				for i := range pods {
					pod := fmt.Sprintf("w%d-%d/1/%d", r, w, i)
					got, err := ips.assign([]string{pod})
					mu.Lock()
					if other, ok := byIP[got[pod]]; ok || err != nil {
						t.Errorf("%s got %s (%v), which %s has", pod, got[pod], err, other)
					}
					byIP[got[pod]] = pod
					mu.Unlock()
					if i%3 == 0 { // and free some, to be handed out again
						mu.Lock()
						delete(byIP, got[pod])
						mu.Unlock()
						if err := ips.releasePod(pod); err != nil {
							t.Error(err)
						}
					}
				}
			})
		}
	}
	wg.Wait()
	held := heldIPs(t, dir)
	if len(held) != len(byIP) {
		t.Errorf("%d IPs held; want %d", len(held), len(byIP))
	}
	for ip, pod := range byIP {
		if held[ip.String()] != pod {
			t.Errorf("%s is held by %q; want %s", ip, held[ip.String()], pod)
		}
	}
}

// TestPodIPsClaim: a pod claims a free IP, again its own, never another's.
func TestPodIPsClaim(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ips := testPodIPs(dir)
	free := netip.MustParseAddr("10.1.2.7")
	if err := ips.claim("a/1/a-0", free); err != nil {
		t.Fatalf("claim a free IP: %v", err)
	}
	if err := ips.claim("a/1/a-0", free); err != nil {
		t.Errorf("claim its own IP again: %v", err)
	}
	if err := ips.claim("b/1/b-0", free); err == nil {
		t.Error("claim another's IP: no error")
	}
	if err := ips.claim("a/1/a-0", netip.MustParseAddr("10.1.2.8")); err == nil {
		t.Error("claim a second IP: no error")
	}
	if held := heldIPs(t, dir); held["10.1.2.7"] != "a/1/a-0" || len(held) != 1 {
		t.Errorf("held %v; want 10.1.2.7 held by a/1/a-0 alone", held)
	}
}
