-- Change numbers, so the control loops can follow what was written instead of
-- re-reading every live workload on each cycle. Triggers keep them whatever the
-- statement that wrote the row.
CREATE TABLE change_counters (
	name  TEXT    NOT NULL PRIMARY KEY,
	value INTEGER NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('workloads', 0), ('inventory', 0);

-- seq: the change number of the last write of the workload.
ALTER TABLE workloads ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
CREATE INDEX workloads_seq ON workloads (seq);

CREATE TRIGGER workloads_seq_insert AFTER INSERT ON workloads BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'workloads';
	UPDATE workloads SET seq = (SELECT value FROM change_counters WHERE name = 'workloads') WHERE id = NEW.id;
END;

-- Fires for writes of data only, so the seq update inside does not fire it again.
CREATE TRIGGER workloads_seq_update AFTER UPDATE OF data ON workloads BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'workloads';
	UPDATE workloads SET seq = (SELECT value FROM change_counters WHERE name = 'workloads') WHERE id = NEW.id;
END;

CREATE TRIGGER nodes_insert_change AFTER INSERT ON nodes BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'inventory';
END;
CREATE TRIGGER nodes_update_change AFTER UPDATE ON nodes BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'inventory';
END;
CREATE TRIGGER nodes_delete_change AFTER DELETE ON nodes BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'inventory';
END;
CREATE TRIGGER workspaces_insert_change AFTER INSERT ON workspaces BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'inventory';
END;
CREATE TRIGGER workspaces_update_change AFTER UPDATE ON workspaces BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'inventory';
END;
CREATE TRIGGER workspaces_delete_change AFTER DELETE ON workspaces BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'inventory';
END;
