package process

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStateRewrittenInPlace: status.json keeps its inode across changes, and reads as
// the last record written, shorter than the one before or not.
func TestStateRewrittenInPlace(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if st, err := readState(dir); err != nil || st.Phase != phasePending {
		t.Fatalf("no status.json: %+v, %v; want Pending", st, err)
	}
	now := time.Now().UTC().Round(0)
	long := podState{Phase: phaseRunning, StartTime: now, Message: "a message much longer than the next record's"}
	if err := writeState(dir, long); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, statusFile)
	before, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	short := podState{Phase: phaseSucceeded, StartTime: now, EndTime: now, Reason: "Completed"}
	if err := writeState(dir, short); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("status.json was replaced by a new file, not rewritten")
	}
	if st, err := readState(dir); err != nil || st.Phase != phaseSucceeded || st.Message != "" || !st.EndTime.Equal(now) {
		t.Fatalf("after a shorter record: %+v, %v; want the Succeeded record alone", st, err)
	}

	// Whatever follows the first record is not read.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, `ssage much longer than the next record's"}`+"\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := readState(dir); err != nil || st.Phase != phaseSucceeded {
		t.Fatalf("with the end of an older record after it: %+v, %v; want Succeeded", st, err)
	}

	// A shim killed after creating the file, before writing it.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if st, err := readState(dir); err != nil || st.Phase != phasePending {
		t.Fatalf("empty status.json: %+v, %v; want Pending", st, err)
	}
}
