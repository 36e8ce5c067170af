package usecase

import (
	"context"
	"errors"
	"slices"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// exportNamePrefix starts the forced name of an exportimage job.
const exportNamePrefix = "custom-"

func opsJobNotFound() *Error { return notFound("the opsjob is not found") }

func opsJobBusy(id, typ string) *Error {
	return newError(apiv1.CodeResourceProcessing, "another ops job (%s) is running, job.type: %s", id, typ)
}

// opsJobBuilders check, for each type, who may create the job and what it names, and
// fill what those objects decide: nodes, cluster, workspace.
var opsJobBuilders = map[string]func(*Service, context.Context, *auth.User, *opsjob.Job) error{
	apiv1.OpsJobAddon:       (*Service).buildAddonJob,
	apiv1.OpsJobPreflight:   (*Service).buildPreflightJob,
	apiv1.OpsJobDumpLog:     (*Service).buildDumpLogJob,
	apiv1.OpsJobReboot:      (*Service).buildRebootJob,
	apiv1.OpsJobExportImage: (*Service).buildExportImageJob,
}

// CreateOpsJob validates, authorizes and stores a new ops job as Pending; the runners
// take it from there. It returns the generated id.
func (s *Service) CreateOpsJob(ctx context.Context, caller *auth.User, req *apiv1.CreateOpsJobRequest) (string, error) {
	opsjob.ApplyDefaults(req)
	if fe := opsjob.Validate(req); len(fe) > 0 {
		return "", invalid(fe)
	}
	j := newOpsJob(caller, req)
	unlock, err := s.lockOpsJobCreate(ctx) // from the conflict checks of the builder to the insert
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := opsJobBuilders[j.Type](s, ctx, caller, j); err != nil {
		return "", err
	}
	j.Status.Phase = apiv1.OpsJobPending
	err = store.RetryOnConflict(ctx, func() error { // a taken id: draw another
		j.ID = workload.NewID(j.Name)
		j.CreationTime = s.now()
		return s.Store.OpsJobInsert(ctx, j)
	})
	if err != nil {
		return "", err
	}
	s.wake()
	return j.ID, nil
}

// lockOpsJobCreate serializes ops job creates, so that two racing for one node cannot
// both pass the check that no other job of their type runs there: within this server,
// and across the servers of a shared store that has locks. The store's lock is waited
// for a bounded time, so the mutex is held that long at most.
func (s *Service) lockOpsJobCreate(ctx context.Context) (unlock func(), err error) {
	s.opsJobCreate.Lock()
	locker, ok := s.Store.(store.Locker)
	if !ok {
		return s.opsJobCreate.Unlock, nil
	}
	release, err := locker.Lock(ctx, "opsjob-create")
	if err != nil {
		s.opsJobCreate.Unlock()
		return nil, err
	}
	return func() { release(); s.opsJobCreate.Unlock() }, nil
}

// newOpsJob is the job a valid request asks for, keeping only the fields of its type.
func newOpsJob(caller *auth.User, req *apiv1.CreateOpsJobRequest) *opsjob.Job {
	j := &opsjob.Job{
		Name: req.Name, Type: req.Type, Inputs: req.Inputs,
		UserID: caller.ID, UserName: caller.Name,
		TimeoutSecond: req.TimeoutSecond, TTLSeconds: req.TTLSecondsAfterFinished,
		ExcludedNodes: req.ExcludedNodes, IsTolerateAll: req.IsTolerateAll,
	}
	switch req.Type {
	case apiv1.OpsJobPreflight:
		j.Resource, j.Image, j.EntryPoint = req.Resource, req.Image, req.EntryPoint
		j.Env, j.Hostpath = req.Env, req.Hostpath
	case apiv1.OpsJobAddon:
		j.BatchCount, j.AvailableRatio, j.SecurityUpgrade = req.BatchCount, *req.AvailableRatio, req.SecurityUpgrade
	}
	return j
}

// requireAdmin refuses job types only system administrators may create.
func requireAdmin(caller *auth.User, typ string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to create %s", typ)
	}
	return nil
}

func (s *Service) buildAddonJob(ctx context.Context, caller *auth.User, j *opsjob.Job) error {
	if err := requireAdmin(caller, j.Type); err != nil {
		return err
	}
	if err := s.checkAddonTemplates(ctx, j); err != nil {
		return err
	}
	_, err := s.placeOnNodes(ctx, j)
	return err
}

func (s *Service) buildPreflightJob(ctx context.Context, caller *auth.User, j *opsjob.Job) error {
	if err := requireAdmin(caller, j.Type); err != nil {
		return err
	}
	nodes, err := s.placeOnNodes(ctx, j)
	if err != nil {
		return err
	}
	if nodes, err = preflightNodes(j, nodes); err != nil {
		return err
	}
	r := *j.Resource
	r.Replica = len(nodes) // one check container per node
	j.Resource = &r
	return nil
}

func (s *Service) buildRebootJob(ctx context.Context, caller *auth.User, j *opsjob.Job) error {
	if err := requireAdmin(caller, j.Type); err != nil {
		return err
	}
	nodes, err := s.namedNodes(ctx, j.InputValues(apiv1.InputNode))
	if err != nil {
		return err
	}
	j.Cluster = nodes[0].Cluster
	return nil
}

func (s *Service) buildDumpLogJob(ctx context.Context, caller *auth.User, j *opsjob.Job) error {
	id := j.InputValues(apiv1.InputWorkload)[0]
	w, err := s.jobWorkload(ctx, caller, j.Type, id)
	if err != nil {
		return err
	}
	j.Cluster, j.Workspace = w.Cluster, w.Workspace()
	return s.checkBusy(ctx, j, func(other *opsjob.Job) bool {
		return slices.Contains(other.InputValues(apiv1.InputWorkload), id)
	})
}

func (s *Service) buildExportImageJob(ctx context.Context, caller *auth.User, j *opsjob.Job) error {
	id := slices.Concat(j.InputValues(apiv1.InputWorkload), j.InputValues(apiv1.InputWorkloadID))[0]
	w, err := s.jobWorkload(ctx, caller, j.Type, id)
	if err != nil {
		return err
	}
	if w.Released() {
		return badRequest("workload %s has been released: it has no container left to export an image from", id)
	}
	if w.Spec.Image == "" {
		return badRequest("workload %s has no image to export", id)
	}
	j.Inputs = slices.DeleteFunc(j.Inputs, func(p apiv1.Parameter) bool { return p.Name == apiv1.InputImage })
	j.Inputs = append(j.Inputs, apiv1.Parameter{Name: apiv1.InputImage, Value: w.Spec.Image})
	j.Name = exportName(w.ID)
	j.Cluster, j.Workspace = w.Cluster, w.Workspace()
	return nil
}

// exportName is the forced name of an exportimage job, custom-<workloadId>, cut so
// that it stays a valid name.
func exportName(workloadID string) string {
	name := exportNamePrefix + workloadID
	if len(name) > opsjob.NameMaxLen {
		name = name[:opsjob.NameMaxLen]
	}
	return strings.TrimRight(name, "-.")
}

// jobWorkload loads the workload a dumplog or exportimage job is about; the caller
// must be allowed to see it.
func (s *Service) jobWorkload(ctx context.Context, caller *auth.User, typ, id string) (*workload.Workload, error) {
	w, err := s.Store.WorkloadGet(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, workloadNotFound(id)
	}
	if err != nil {
		return nil, err
	}
	ws, err := s.Store.WorkspaceGet(ctx, w.Workspace())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if !auth.CanGetWorkload(caller, ws, w.UserID) {
		return nil, forbidden("The user is not allowed to create %s: they may not get workload %s", typ, id)
	}
	return w, nil
}
