package workload

import (
	"maps"
	"slices"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
)

// ApplyPatch applies a PATCH body to a stored spec, re-applies the defaults and checks
// the result as a create would (cron jobs only when they changed). When it reports a
// problem, spec is left as it was. The description lives outside the spec: the caller
// applies it.
func ApplyPatch(spec *apiv1.WorkloadSpec, p *apiv1.PatchWorkloadRequest, now time.Time) FieldErrors {
	next := cloneSpec(spec)
	var errs FieldErrors
	if p.Replica != nil && *p.Replica != next.Resource.Replica {
		if _, ok := next.CustomerLabels[HostnameLabel]; ok {
			errs.add("replica", "cannot update replica when specifying nodes")
		} else {
			next.Resource.Replica = *p.Replica
		}
	}
	setIf(&next.Resource.CPU, p.CPU)
	setIf(&next.Resource.GPU, p.GPU)
	setIf(&next.Resource.Memory, p.Memory)
	setIf(&next.Resource.EphemeralStorage, p.EphemeralStorage)
	setIf(&next.Resource.SharedMemory, p.SharedMemory)
	// An empty image or entryPoint is refused as a create refuses it (the reference
	// ignores it: a client that cleared a field would never learn it did nothing).
	setIf(&next.Image, p.Image)
	setIf(&next.EntryPoint, p.EntryPoint)
	if p.Env != nil {
		next.Env = maps.Clone(*p.Env)
		if _, ok := next.Env[GitHubPATEnv]; ok && next.GroupVersionKind.Kind == apiv1.KindAutoscalingRunnerSet {
			errs.add("env["+GitHubPATEnv+"]", "cannot be changed here: the token lives in the runner set's secret, "+
				"named after the workload; change it with PATCH /api/v1/secrets/{workloadId}")
		}
	}
	if p.CronJobs != nil {
		next.CronJobs = slices.Clone(*p.CronJobs)
	}
	if p.Timeout != nil {
		t := *p.Timeout
		next.Timeout = &t // 0 becomes nil in ApplyDefaults
	}
	setIf(&next.MaxRetry, p.MaxRetry)
	setIf(&next.Priority, p.Priority)
	if p.Limits != nil {
		next.Resource.Limits = clonePtr(p.Limits)
	}
	if p.SecretEnv != nil {
		next.SecretEnv = slices.Clone(*p.SecretEnv)
	}
	if p.Sidecars != nil {
		next.Sidecars = cloneSidecars(*p.Sidecars)
	}

	ApplyDefaults(next)
	for _, e := range ValidateSpec(next) {
		// A PATCH body names resources without the create body's resource. prefix.
		e.Field = strings.TrimPrefix(e.Field, "resource.")
		errs = append(errs, e)
	}
	if !slices.Equal(next.CronJobs, spec.CronJobs) {
		errs = append(errs, ValidateCronJobs(next.CronJobs, now, "cronJobs")...)
	}
	if len(errs) > 0 {
		return errs
	}
	*spec = *next
	return nil
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// cloneSpec copies a spec deeply enough that defaults applied to the copy leave the
// original alone.
func cloneSpec(s *apiv1.WorkloadSpec) *apiv1.WorkloadSpec {
	c := *s
	c.Env = maps.Clone(s.Env)
	c.CustomerLabels = maps.Clone(s.CustomerLabels)
	c.Hostpath = slices.Clone(s.Hostpath)
	c.Dependencies = slices.Clone(s.Dependencies)
	c.CronJobs = slices.Clone(s.CronJobs)
	c.Secrets = slices.Clone(s.Secrets)
	c.SecretEnv = slices.Clone(s.SecretEnv)
	c.Resource.Limits = clonePtr(s.Resource.Limits)
	c.Sidecars = cloneSidecars(s.Sidecars)
	c.TTLSecondsAfterFinished = clonePtr(s.TTLSecondsAfterFinished)
	c.Timeout = clonePtr(s.Timeout)
	c.Liveness = clonePtr(s.Liveness)
	c.Readiness = clonePtr(s.Readiness)
	if s.Service != nil {
		svc := *s.Service
		svc.Extends = maps.Clone(s.Service.Extends)
		c.Service = &svc
	}
	return &c
}

func cloneSidecars(in []apiv1.Sidecar) []apiv1.Sidecar {
	if in == nil {
		return nil
	}
	out := make([]apiv1.Sidecar, len(in))
	for i, sc := range in {
		sc.Env = maps.Clone(sc.Env)
		sc.SecretEnv = slices.Clone(sc.SecretEnv)
		sc.Ports = slices.Clone(sc.Ports)
		sc.Limits = clonePtr(sc.Limits)
		out[i] = sc
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
