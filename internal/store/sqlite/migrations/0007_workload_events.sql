-- The workload change log that watches follow: one event per write of a workload,
-- numbered with the write's change number, written by the triggers that number the
-- write, so in its transaction. prev_data is the workload before the write (NULL for
-- an insert): a watch with filters needs both to tell a workload that came into its
-- view from one that left it. written_at is in unix seconds, for trimming by age.
CREATE TABLE workload_events (
	seq         INTEGER NOT NULL PRIMARY KEY,
	workload_id TEXT    NOT NULL,
	version     INTEGER NOT NULL,
	data        TEXT    NOT NULL,
	prev_data   TEXT,
	written_at  INTEGER NOT NULL
);
CREATE INDEX workload_events_written_at ON workload_events (written_at);

-- The newest change number trimmed from the log: a watch resumes from it or later.
-- The writes before this migration were never logged.
INSERT INTO change_counters (name, value)
	SELECT 'workload_events_trimmed', value FROM change_counters WHERE name = 'workloads';

DROP TRIGGER workloads_seq_insert;
DROP TRIGGER workloads_seq_update;

CREATE TRIGGER workloads_seq_insert AFTER INSERT ON workloads BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'workloads';
	UPDATE workloads SET seq = (SELECT value FROM change_counters WHERE name = 'workloads') WHERE id = NEW.id;
	INSERT INTO workload_events (seq, workload_id, version, data, prev_data, written_at)
		VALUES ((SELECT value FROM change_counters WHERE name = 'workloads'), NEW.id, NEW.version, NEW.data, NULL,
			CAST(strftime('%s', 'now') AS INTEGER));
END;

-- Fires for writes of data only, so the seq update inside does not fire it again.
CREATE TRIGGER workloads_seq_update AFTER UPDATE OF data ON workloads BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'workloads';
	UPDATE workloads SET seq = (SELECT value FROM change_counters WHERE name = 'workloads') WHERE id = NEW.id;
	INSERT INTO workload_events (seq, workload_id, version, data, prev_data, written_at)
		VALUES ((SELECT value FROM change_counters WHERE name = 'workloads'), NEW.id, NEW.version, NEW.data, OLD.data,
			CAST(strftime('%s', 'now') AS INTEGER));
END;
