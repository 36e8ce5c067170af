-- The workload change log that watches follow: one event per write of a workload,
-- numbered with the write's change number (workloads.seq), written by a trigger, so
-- in the write's transaction; writes commit in seq order (see 0002_changes.sql), so a
-- reader never sees a later event before an earlier one. prev_data is the workload
-- before the write (NULL for an insert): a watch with filters needs both to tell a
-- workload that came into its view from one that left it. written_at is in unix
-- seconds, for trimming by age.
CREATE TABLE workload_events (
	seq         BIGINT NOT NULL PRIMARY KEY,
	workload_id TEXT COLLATE "C" NOT NULL,
	version     BIGINT NOT NULL,
	data        TEXT   NOT NULL,
	prev_data   TEXT,
	written_at  BIGINT NOT NULL
);
CREATE INDEX workload_events_written_at ON workload_events (written_at);

-- The newest change number trimmed from the log: a watch resumes from it or later.
-- The writes before this migration were never logged.
INSERT INTO change_counters (name, value)
	SELECT 'workload_events_trimmed', value FROM change_counters WHERE name = 'workloads';

-- AFTER, so NEW.seq is the number the BEFORE trigger workloads_seq gave the row.
-- The notification goes out when the transaction commits, to every server of this
-- schema (the channel the postgres driver listens on for watches); writes of one
-- transaction come as one.
CREATE FUNCTION workload_events_log() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO workload_events (seq, workload_id, version, data, prev_data, written_at)
	VALUES (NEW.seq, NEW.id, NEW.version, NEW.data,
		CASE WHEN TG_OP = 'UPDATE' THEN OLD.data END,
		CAST(extract(epoch FROM now()) AS BIGINT));
	PERFORM pg_notify(left('berth_watch_' || current_schema(), 63), '');
	RETURN NULL;
END
$$;

CREATE TRIGGER workload_events_log AFTER INSERT OR UPDATE OF data ON workloads
	FOR EACH ROW EXECUTE FUNCTION workload_events_log();
