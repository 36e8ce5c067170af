package store

import "fmt"

// SchemaTooNewError is a database that a newer berth has migrated: this one does not
// know its schema, so it opens nothing and asks to be upgraded.
type SchemaTooNewError struct {
	Database int // the newest migration the database has applied
	Known    int // the newest migration this berth has
}

func (e *SchemaTooNewError) Error() string {
	return fmt.Sprintf("database schema version %d is newer than this berth knows (%d): upgrade berth", e.Database, e.Known)
}
