-- Workloads: a column for everything the list API filters or sorts on, the whole
-- workload as JSON in data. Times are unix nanoseconds, NULL for the zero time.
CREATE TABLE workloads (
	id               TEXT    NOT NULL PRIMARY KEY,
	workspace        TEXT    NOT NULL,
	cluster          TEXT    NOT NULL,
	user_id          TEXT    NOT NULL,
	user_name        TEXT    NOT NULL,
	phase            TEXT    NOT NULL,
	kind             TEXT    NOT NULL,
	description      TEXT    NOT NULL,
	display_name     TEXT    NOT NULL,
	creation_time    INTEGER,
	start_time       INTEGER,
	end_time         INTEGER,
	priority         INTEGER NOT NULL,
	queue_position   INTEGER NOT NULL,
	dispatch_count   INTEGER NOT NULL,
	is_deleted       INTEGER NOT NULL,
	released         INTEGER NOT NULL,
	scale_runner_set TEXT    NOT NULL,
	version          INTEGER NOT NULL,
	data             TEXT    NOT NULL
);

-- Lists never show deleted workloads, so their indexes leave them out. id ends each
-- index so that a walk in index order is also in the list's tie-break order, and the
-- newest-first page of a filter is read straight off its index.
CREATE INDEX workloads_creation ON workloads (creation_time, id) WHERE is_deleted = 0;
CREATE INDEX workloads_workspace ON workloads (workspace, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX workloads_workspace_phase ON workloads (workspace, phase, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX workloads_phase ON workloads (phase, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX workloads_cluster ON workloads (cluster, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX workloads_user_id ON workloads (user_id, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX workloads_scale_runner_set ON workloads (scale_runner_set, creation_time, id) WHERE is_deleted = 0;

-- What the control loops scan on every start: the same predicate as WorkloadListLive.
CREATE INDEX workloads_live ON workloads (creation_time, id) WHERE released = 0;

CREATE TABLE clusters (
	id      TEXT    NOT NULL PRIMARY KEY,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);

CREATE TABLE nodes (
	id      TEXT    NOT NULL PRIMARY KEY,
	cluster TEXT    NOT NULL,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);
CREATE INDEX nodes_cluster ON nodes (cluster, id);

CREATE TABLE workspaces (
	id      TEXT    NOT NULL PRIMARY KEY,
	cluster TEXT    NOT NULL,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);

CREATE TABLE secrets (
	id      TEXT    NOT NULL PRIMARY KEY,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);

CREATE TABLE users (
	id      TEXT    NOT NULL PRIMARY KEY,
	name    TEXT    NOT NULL UNIQUE,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);

CREATE TABLE api_keys (
	id      TEXT NOT NULL PRIMARY KEY,
	user_id TEXT NOT NULL,
	hash    TEXT NOT NULL UNIQUE,
	data    TEXT NOT NULL
);
CREATE INDEX api_keys_user_id ON api_keys (user_id, id);
