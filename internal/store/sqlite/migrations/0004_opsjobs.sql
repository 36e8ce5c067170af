-- Ops jobs: a column for everything the list API filters or sorts on, the whole job
-- as JSON in data (inputs included, so values with ':' or ',' survive). Times are
-- unix nanoseconds, NULL for the zero time.
CREATE TABLE ops_jobs (
	id            TEXT    NOT NULL PRIMARY KEY,
	type          TEXT    NOT NULL,
	phase         TEXT    NOT NULL,
	cluster       TEXT    NOT NULL,
	user_id       TEXT    NOT NULL,
	user_name     TEXT    NOT NULL,
	creation_time INTEGER,
	start_time    INTEGER,
	end_time      INTEGER,
	is_deleted    INTEGER NOT NULL,
	released      INTEGER NOT NULL,
	version       INTEGER NOT NULL,
	data          TEXT    NOT NULL
);

-- Lists never show deleted jobs, so their indexes leave them out; id ends each index
-- so that a walk in index order is also in the list's tie-break order.
CREATE INDEX ops_jobs_creation ON ops_jobs (creation_time, id) WHERE is_deleted = 0;
CREATE INDEX ops_jobs_type ON ops_jobs (type, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX ops_jobs_phase ON ops_jobs (phase, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX ops_jobs_cluster ON ops_jobs (cluster, creation_time, id) WHERE is_deleted = 0;
CREATE INDEX ops_jobs_user_id ON ops_jobs (user_id, creation_time, id) WHERE is_deleted = 0;

-- What the runners scan on every start: the same predicate as OpsJobListActive.
CREATE INDEX ops_jobs_active ON ops_jobs (creation_time, id)
	WHERE (is_deleted = 0 AND phase NOT IN ('Succeeded', 'Failed'))
	OR (phase IN ('Succeeded', 'Failed') AND released = 0);

CREATE TABLE addon_templates (
	id      TEXT    NOT NULL PRIMARY KEY,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);

-- is_open: 1 while the fault holds (no deletion time), so the taints the scheduler
-- applies come from one index.
CREATE TABLE faults (
	id      TEXT    NOT NULL PRIMARY KEY,
	node    TEXT    NOT NULL,
	is_open INTEGER NOT NULL,
	version INTEGER NOT NULL,
	data    TEXT    NOT NULL
);
CREATE INDEX faults_node ON faults (node, id);
CREATE INDEX faults_open ON faults (id) WHERE is_open = 1;
