// Package pgtest gives each test its own empty PostgreSQL schema in the server that
// BERTH_TEST_DATABASE_URL names, and skips the test when the variable is unset, so
// `go test ./...` needs no PostgreSQL while CI (.ci/run) runs every test against one.
//
// start-postgres.sh starts a throw-away server and prints the variable to export;
// stop-postgres.sh stops it:
//
//	eval "$(internal/store/pgtest/start-postgres.sh)"
//	go test ./internal/store/...
//	internal/store/pgtest/stop-postgres.sh "$BERTH_TEST_POSTGRES_DIR"
package pgtest
