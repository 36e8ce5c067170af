package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/berth-dev/berth/internal/store"
)

// RefusesNewerSchema checks that a driver refuses to open a database that a newer
// berth has migrated, with a *store.SchemaTooNewError that says what to do. known is
// the driver's newest migration; openAt records migration version in a database of
// the driver, as a newer berth would, and returns the error of opening it again.
func RefusesNewerSchema(t *testing.T, known int, openAt func(version int) error) {
	t.Helper()
	err := openAt(known + 1)
	if err == nil {
		t.Fatal("Open succeeded on a newer schema, want an error")
	}
	var tooNew *store.SchemaTooNewError
	if !errors.As(err, &tooNew) || *tooNew != (store.SchemaTooNewError{Database: known + 1, Known: known}) {
		t.Errorf("Open error = %v, want a SchemaTooNewError of versions %d and %d", err, known+1, known)
	}
	want := fmt.Sprintf("database schema version %d is newer than this berth knows (%d): upgrade berth", known+1, known)
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Open error = %q, want it to say %q", err, want)
	}
}
