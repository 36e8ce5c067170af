package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCacheMax bounds the statements a pool keeps prepared. The store's statements
// are a fixed set of texts (values are parameters), but a list's filters combine:
// past the bound, a statement runs unprepared.
const stmtCacheMax = 256

// stmtCache prepares each statement text once per pool (database/sql then prepares it
// once per connection). Without it SQLite parses every statement on every call, and a
// write to workloads compiles its triggers too: about a tenth of the server's CPU in
// a burst of trivial jobs.
type stmtCache struct {
	db    *sql.DB
	mu    sync.Mutex
	stmts map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: map[string]*sql.Stmt{}}
}

// get returns the prepared statement of query, preparing it where prepare is true;
// nil, without an error, where it is not prepared (and once the cache is full).
// Inside a transaction nothing may be prepared: that takes a connection of the pool,
// and the writing pool's one is the transaction's. Nor is the cache locked while a
// statement is prepared, as that may wait for a connection which a transaction
// holds. Statements stay until close: evicting one could close it under a caller.
func (c *stmtCache) get(ctx context.Context, query string, prepare bool) (*sql.Stmt, error) {
	c.mu.Lock()
	st, ok := c.stmts[query]
	full := len(c.stmts) >= stmtCacheMax
	c.mu.Unlock()
	if ok || !prepare || full {
		return st, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.stmts[query]; ok { // prepared meanwhile by another caller
		st.Close()
		return prev, nil
	}
	if len(c.stmts) >= stmtCacheMax {
		st.Close()
		return nil, nil
	}
	c.stmts[query] = st
	return st, nil
}

// close closes every statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.stmts {
		st.Close()
		delete(c.stmts, q)
	}
}
