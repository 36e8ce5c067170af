package pgtest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// A URL names a schema of its own, empty, that is gone once its test ends.
func TestURL(t *testing.T) {
	t.Parallel()
	var schema string
	t.Run("use", func(t *testing.T) {
		raw := URL(t)
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		schema = u.Query().Get("search_path")
		if !strings.HasPrefix(schema, "test_") {
			t.Fatalf("search_path = %q, want test_<random>", schema)
		}
		conn, err := pgx.Connect(t.Context(), raw)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		var current string
		var tables int
		err = conn.QueryRow(t.Context(),
			"SELECT current_schema(), (SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema())").
			Scan(&current, &tables)
		if err != nil {
			t.Fatal(err)
		}
		if current != schema || tables != 0 {
			t.Errorf("current schema %q with %d tables, want %q and none", current, tables, schema)
		}
		if _, err := conn.Exec(t.Context(), "CREATE TABLE t (x int)"); err != nil {
			t.Fatal(err)
		}
		if other := URL(t); other == raw {
			t.Errorf("two calls gave the same URL %s", raw)
		}
	})
	if schema == "" {
		t.Skip("the subtest skipped")
	}
	pool, err := admin()
	if err != nil {
		t.Fatal(err)
	}
	var left bool
	err = pool.QueryRow(t.Context(), "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1)", schema).Scan(&left)
	if err != nil {
		t.Fatal(err)
	}
	if left {
		t.Errorf("schema %s is left after its test ended", schema)
	}
}
