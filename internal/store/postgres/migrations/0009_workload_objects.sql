-- Workloads served as Kubernetes-style objects (seed 002's Workload): the object's
-- kind and name, unique per workspace among the workloads not deleted, and indexed
-- for the get and list by namespace that kubectl does. Empty for every other workload.
ALTER TABLE workloads ADD COLUMN object_kind TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE workloads ADD COLUMN object_name TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE UNIQUE INDEX workloads_object ON workloads (workspace, object_kind, object_name)
	WHERE object_name <> '' AND is_deleted = false;
