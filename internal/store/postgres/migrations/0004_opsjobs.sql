-- Ops jobs: a column for everything the list API filters or sorts on, the whole job
-- as JSON text in data (inputs included, so values with ':' or ',' survive). Times are
-- unix nanoseconds, NULL for the zero time. Text columns collate "C", as in 0001.
CREATE TABLE ops_jobs (
	id            TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	type          TEXT COLLATE "C" NOT NULL,
	phase         TEXT COLLATE "C" NOT NULL,
	cluster       TEXT COLLATE "C" NOT NULL,
	user_id       TEXT COLLATE "C" NOT NULL,
	user_name     TEXT COLLATE "C" NOT NULL,
	creation_time BIGINT,
	start_time    BIGINT,
	end_time      BIGINT,
	is_deleted    BOOLEAN NOT NULL,
	released      BOOLEAN NOT NULL,
	version       BIGINT  NOT NULL,
	data          TEXT    NOT NULL
);

-- Lists never show deleted jobs, so their indexes leave them out; id ends each index
-- so that a walk in index order is also in the list's tie-break order, and the
-- newest-first page is read off the index walked backwards. The predicate must stay
-- word for word the one opsJobWhere writes.
CREATE INDEX ops_jobs_creation ON ops_jobs (creation_time, id) WHERE is_deleted = false;
CREATE INDEX ops_jobs_type ON ops_jobs (type, creation_time, id) WHERE is_deleted = false;
CREATE INDEX ops_jobs_phase ON ops_jobs (phase, creation_time, id) WHERE is_deleted = false;
CREATE INDEX ops_jobs_cluster ON ops_jobs (cluster, creation_time, id) WHERE is_deleted = false;
CREATE INDEX ops_jobs_user_id ON ops_jobs (user_id, creation_time, id) WHERE is_deleted = false;

-- What the runners scan on every start: the same predicate (opsJobActiveWhere) and
-- order as OpsJobListActive (NULLS FIRST, as SQLite sorts them).
CREATE INDEX ops_jobs_active ON ops_jobs (creation_time NULLS FIRST, id)
	WHERE (is_deleted = false AND phase NOT IN ('Succeeded', 'Failed'))
	OR (phase IN ('Succeeded', 'Failed') AND released = false);

CREATE TABLE addon_templates (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	version BIGINT NOT NULL,
	data    TEXT   NOT NULL
);

-- is_open: true while the fault holds (no deletion time), so the taints the
-- scheduler applies come from one index.
CREATE TABLE faults (
	id      TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	node    TEXT COLLATE "C" NOT NULL,
	is_open BOOLEAN NOT NULL,
	version BIGINT  NOT NULL,
	data    TEXT    NOT NULL
);
CREATE INDEX faults_node ON faults (node, id);
CREATE INDEX faults_open ON faults (id) WHERE is_open = true;
