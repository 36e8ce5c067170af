package postgres

import "embed"

// migrationFS holds the schema, numbered as the SQLite driver's is.
//
//go:embed migrations/*.sql
var migrationFS embed.FS
