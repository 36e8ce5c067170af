-- Workloads: a column for everything the list API filters or sorts on, the whole
-- workload as JSON in data (text: stored and returned byte for byte, with no parse on
-- the write path). Times are unix nanoseconds, NULL for the zero time. Text columns
-- collate "C", so that they sort by bytes as in SQLite, whatever the database's locale.
CREATE TABLE workloads (
	id               TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	workspace        TEXT COLLATE "C" NOT NULL,
	cluster          TEXT COLLATE "C" NOT NULL,
	user_id          TEXT COLLATE "C" NOT NULL,
	user_name        TEXT COLLATE "C" NOT NULL,
	phase            TEXT COLLATE "C" NOT NULL,
	kind             TEXT COLLATE "C" NOT NULL,
	description      TEXT COLLATE "C" NOT NULL,
	display_name     TEXT COLLATE "C" NOT NULL,
	creation_time    BIGINT,
	start_time       BIGINT,
	end_time         BIGINT,
	priority         BIGINT  NOT NULL,
	queue_position   BIGINT  NOT NULL,
	dispatch_count   BIGINT  NOT NULL,
	is_deleted       BOOLEAN NOT NULL,
	released         BOOLEAN NOT NULL,
	scale_runner_set TEXT COLLATE "C" NOT NULL,
	version          BIGINT  NOT NULL,
	data             TEXT    NOT NULL
);

-- Lists never show deleted workloads, so their indexes leave them out. id ends each
-- index so that a walk in index order is also in the list's tie-break order, and the
-- newest-first page of a filter is read straight off its index (walked backwards:
-- DESC NULLS FIRST is ASC NULLS LAST reversed). The predicate must stay word for word
-- the one workloadWhere writes, or the planner cannot prove the index applies.
CREATE INDEX workloads_creation ON workloads (creation_time, id) WHERE is_deleted = false;
CREATE INDEX workloads_workspace ON workloads (workspace, creation_time, id) WHERE is_deleted = false;
CREATE INDEX workloads_workspace_phase ON workloads (workspace, phase, creation_time, id) WHERE is_deleted = false;
CREATE INDEX workloads_phase ON workloads (phase, creation_time, id) WHERE is_deleted = false;
CREATE INDEX workloads_cluster ON workloads (cluster, creation_time, id) WHERE is_deleted = false;
CREATE INDEX workloads_user_id ON workloads (user_id, creation_time, id) WHERE is_deleted = false;
CREATE INDEX workloads_scale_runner_set ON workloads (scale_runner_set, creation_time, id) WHERE is_deleted = false;

-- What the control loops scan on every start: the same predicate and order as
-- WorkloadListLive (NULLS FIRST, as SQLite sorts them).
CREATE INDEX workloads_live ON workloads (creation_time NULLS FIRST, id) WHERE released = false;

CREATE TABLE clusters (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	version BIGINT NOT NULL,
	data    TEXT   NOT NULL
);

CREATE TABLE nodes (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	cluster TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL,
	data    TEXT   NOT NULL
);
CREATE INDEX nodes_cluster ON nodes (cluster, id);

CREATE TABLE workspaces (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	cluster TEXT COLLATE "C" NOT NULL,
	version BIGINT NOT NULL,
	data    TEXT   NOT NULL
);

CREATE TABLE secrets (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	version BIGINT NOT NULL,
	data    TEXT   NOT NULL
);

CREATE TABLE users (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	name    TEXT COLLATE "C" NOT NULL UNIQUE,
	version BIGINT NOT NULL,
	data    TEXT   NOT NULL
);

CREATE TABLE api_keys (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	user_id TEXT COLLATE "C" NOT NULL,
	hash    TEXT COLLATE "C" NOT NULL UNIQUE,
	data    TEXT NOT NULL
);
CREATE INDEX api_keys_user_id ON api_keys (user_id, id);
