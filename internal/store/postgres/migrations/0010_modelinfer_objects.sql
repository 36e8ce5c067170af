-- ModelInfers (seed 004) are served as Kubernetes-style objects too: their kind and
-- name fill the columns of migration 0009, which later writes keep.
UPDATE workloads SET object_kind = 'ModelInfer.workload.volcano.sh', object_name = display_name
	WHERE kind = 'ModelInfer' AND object_kind = '';
