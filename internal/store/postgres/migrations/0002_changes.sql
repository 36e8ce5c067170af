-- Change numbers, so the control loops can follow what was written instead of
-- re-reading every live workload on each cycle. Triggers keep them whatever the
-- statement that wrote the row.
CREATE TABLE change_counters (
	name  TEXT COLLATE "C" NOT NULL PRIMARY KEY,
	value BIGINT NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('workloads', 0), ('inventory', 0);

-- seq: the change number of the last write of the workload.
ALTER TABLE workloads ADD COLUMN seq BIGINT NOT NULL DEFAULT 0;
CREATE INDEX workloads_seq ON workloads (seq);

-- The seq comes from a counter row, not a sequence: the UPDATE locks the row until
-- the writing transaction ends, so writers take seqs one at a time and commit in seq
-- order. A reader that has seen seq n has therefore seen every write numbered n or
-- less, and none commits later with a smaller number (as one from nextval could).
CREATE FUNCTION workloads_seq() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'workloads' RETURNING value INTO NEW.seq;
	RETURN NEW;
END
$$;

-- BEFORE, so the seq is part of the row written: one write per statement, no second
-- UPDATE of the workload. Fires for writes of data only, as in SQLite.
CREATE TRIGGER workloads_seq BEFORE INSERT OR UPDATE OF data ON workloads
	FOR EACH ROW EXECUTE FUNCTION workloads_seq();

-- Row triggers, as in SQLite: a statement that writes no row (a stale version) does
-- not move the number.
CREATE FUNCTION inventory_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE change_counters SET value = value + 1 WHERE name = 'inventory';
	RETURN NULL;
END
$$;

CREATE TRIGGER nodes_change AFTER INSERT OR UPDATE OR DELETE ON nodes
	FOR EACH ROW EXECUTE FUNCTION inventory_change();
CREATE TRIGGER workspaces_change AFTER INSERT OR UPDATE OR DELETE ON workspaces
	FOR EACH ROW EXECUTE FUNCTION inventory_change();
