package sqlite

import "embed"

// migrationFS holds the schema, numbered as the PostgreSQL driver's is.
//
//go:embed migrations/*.sql
var migrationFS embed.FS
