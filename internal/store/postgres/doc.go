// Package postgres is the store driver for servers that share one database: several
// berth servers may run against it at once, electing the one that runs the control
// loops with a lease. It uses pgx through a pgxpool, whose connections cache the
// prepared statement of every query they run, so a write is one round trip.
//
// The schema mirrors the SQLite driver's, migration for migration: an indexed column
// for everything the workload list filters and sorts on, the rest as JSON text in
// data, times as unix nanoseconds with NULL for the zero time, and text columns in
// the "C" collation so that both drivers sort alike whatever the database's locale.
//
// The tables are created in the first schema of the connection's search_path, so one
// database can hold several stores (the tests give each its own schema).
//
// The change feed numbers workload writes from a counter row that each write locks
// until it commits (see migrations/0002_changes.sql): writes take numbers one at a
// time, so a reader following the numbers misses nothing. The price is that writes of
// workloads commit one after another.
package postgres
