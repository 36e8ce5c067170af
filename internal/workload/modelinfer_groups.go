package workload

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/workload/grouprollout"
)

// The pods of a ModelInfer are ranked group by group: group g holds the ranks
// g*GroupSize to (g+1)*GroupSize-1; within a group, role by role in the order of
// spec.template.roles, instance by instance, the entry pod then its workers.

// InferPod is what one rank of a ModelInfer runs.
type InferPod struct {
	Group     int
	Role      string
	RoleIndex int
	// Worker is the pod's index among its instance's workers; -1 on the entry pod.
	Worker int
	// EntryRank is the rank of its instance's entry pod (its own on the entry pod).
	EntryRank int
	// InstanceSize is the pods of its instance: the entry pod and its workers.
	InstanceSize int
	Template     *apiv1.PodTemplateSpec
}

// Entry reports whether the pod is its instance's entry pod.
func (p InferPod) Entry() bool { return p.Worker < 0 }

// InferPodAt is what rank runs; ok is false for a rank beyond the spec's pods.
func InferPodAt(spec *apiv1.ModelInferSpec, rank int) (InferPod, bool) {
	size := GroupSize(spec)
	if size == 0 || rank < 0 || rank >= size*deref(spec.Replicas) {
		return InferPod{}, false
	}
	base, i := rank-rank%size, rank%size
	for r := range spec.Template.Roles {
		role := &spec.Template.Roles[r]
		inst := 1 + role.WorkerReplicas
		if n := deref(role.Replicas) * inst; i >= n {
			i, base = i-n, base+n
			continue
		}
		p := InferPod{Group: rank / size, Role: role.Name, RoleIndex: i / inst, Worker: i%inst - 1,
			EntryRank: base + i - i%inst, InstanceSize: inst, Template: &role.EntryTemplate}
		if !p.Entry() {
			p.Template = role.WorkerTemplate
		}
		return p, true
	}
	return InferPod{}, false
}

// Env is the pod's env: its container's, then what a serving engine needs to find
// its place (ENTRY_ADDR, the entry pod's IP, is the runtime's to add).
func (p InferPod) Env() map[string]string {
	env := map[string]string{}
	for _, e := range p.Template.Spec.Containers[0].Env {
		env[e.Name] = e.Value
	}
	env["GROUP_INDEX"] = strconv.Itoa(p.Group)
	env["ROLE"] = p.Role
	env["ROLE_INDEX"] = strconv.Itoa(p.RoleIndex)
	env["GROUP_SIZE"] = strconv.Itoa(p.InstanceSize)
	if !p.Entry() {
		env["WORKER_INDEX"] = strconv.Itoa(p.Worker)
	}
	return env
}

// Command is the pod's container command and args as one shell command line.
func (p InferPod) Command() string {
	c := p.Template.Spec.Containers[0]
	words := append(append([]string{}, c.Command...), c.Args...)
	for i, w := range words {
		words[i] = shellQuote(w)
	}
	return strings.Join(words, " ")
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// Readiness and Liveness are the container's HTTP probes, nil where it has none.
func (p InferPod) Readiness() *apiv1.HealthCheck {
	return healthCheck(p.Template.Spec.Containers[0], p.Template.Spec.Containers[0].ReadinessProbe)
}

// Liveness is the container's HTTP liveness probe, nil where it has none.
func (p InferPod) Liveness() *apiv1.HealthCheck {
	return healthCheck(p.Template.Spec.Containers[0], p.Template.Spec.Containers[0].LivenessProbe)
}

func healthCheck(c apiv1.Container, pr *apiv1.Probe) *apiv1.HealthCheck {
	if pr == nil || pr.HTTPGet == nil {
		return nil
	}
	h := &apiv1.HealthCheck{Path: pr.HTTPGet.Path, Port: portOf(c, pr.HTTPGet.Port), InitialDelaySeconds: pr.InitialDelaySeconds,
		PeriodSeconds: pr.PeriodSeconds, FailureThreshold: pr.FailureThreshold}
	if h.Path == "" {
		h.Path = "/"
	}
	if h.PeriodSeconds == 0 {
		h.PeriodSeconds = 10 // Kubernetes' default
	}
	if h.FailureThreshold == 0 {
		h.FailureThreshold = 3
	}
	return h
}

// portOf resolves a probe's port: a number, or the name of a port of the container.
func portOf(c apiv1.Container, v apiv1.IntOrString) int {
	if !v.IsString {
		return v.IntVal
	}
	for _, p := range c.Ports {
		if p.Name == v.StrVal {
			return p.ContainerPort
		}
	}
	return 0
}

// ServePort is the port the ModelInfer's endpoint reaches its entry pods on: the
// first port of the first role's entry container; 0 when it has none.
func ServePort(spec *apiv1.ModelInferSpec) int {
	if len(spec.Template.Roles) == 0 {
		return 0
	}
	cs := spec.Template.Roles[0].EntryTemplate.Spec.Containers
	if len(cs) == 0 || len(cs[0].Ports) == 0 {
		return 0
	}
	return cs[0].Ports[0].ContainerPort
}

// GroupPods counts the placed pods of each group of a ModelInfer's current dispatch:
// a group admitted with its minRoleReplicas runs without its other instances until
// they find room.
func GroupPods(w *Workload) map[int]int {
	size := GroupSize(&w.Infer.Spec)
	out := map[int]int{}
	if size == 0 || !w.Dispatched() {
		return out
	}
	for _, p := range w.Status.Placement {
		out[p.Rank/size]++
	}
	return out
}

// InferGroups counts a ModelInfer's groups as seed 004 does: those with a live pod
// in its current dispatch (running, updated or not: a changed spec restarts them
// all), and those whose every placed pod runs and is ready.
func InferGroups(w *Workload) (replicas, available int) {
	size := GroupSize(&w.Infer.Spec)
	if size == 0 || !w.Dispatched() {
		return 0, 0
	}
	placed := GroupPods(w)
	live, ready := map[int]int{}, map[int]int{}
	for _, p := range w.Status.Pods {
		if p.Dispatch != w.Status.DispatchCount || (p.Phase != PodPending && p.Phase != PodRunning) {
			continue
		}
		live[p.Rank/size]++
		if p.Phase == PodRunning && p.Ready {
			ready[p.Rank/size]++
		}
	}
	for g, n := range ready {
		if n == placed[g] {
			available++
		}
	}
	return len(live), available
}

// InferGroupTemplates counts the groups of w's current dispatch that have a live pod
// by template: updated where every live pod runs the group template its spec asks for
// (OnInferTemplate), current otherwise. As a StatefulSet's revisions, once no group is
// on an older template the updated one is the current one: both count every group.
func InferGroupTemplates(w *Workload) (current, updated int) {
	size := GroupSize(&w.Infer.Spec)
	if size == 0 || !w.Dispatched() {
		return 0, 0
	}
	old := map[int]bool{}
	for _, p := range w.Status.Pods {
		if p.Dispatch != w.Status.DispatchCount || (p.Phase != PodPending && p.Phase != PodRunning) {
			continue
		}
		g := p.Rank / size
		old[g] = old[g] || !OnInferTemplate(w, p.Template)
	}
	for _, o := range old {
		if o {
			current++
		} else {
			updated++
		}
	}
	if current == 0 {
		current = updated
	}
	return current, updated
}

// OnInferTemplate reports whether a ModelInfer pod made from template runs the group
// template w's spec asks for: a runtime that rolls groups in place reports
// InferTemplateHash; the pods an earlier Berth made on kube, which restarted a
// changed ModelInfer instead, report the workload's PodTemplateHash, all of the
// current spec; "" where the runtime does not say.
func OnInferTemplate(w *Workload, template string) bool {
	return template == "" || template == InferTemplateHash(&w.Infer.Spec) || template == PodTemplateHash(&w.Spec)
}

// InferTemplateHash identifies what the pods of a ModelInfer's groups run: its group
// template (roles, their pod templates, gang and grace). A change of the replicas, the
// rollout strategy or the recovery policy alone replaces no group.
func InferTemplateHash(spec *apiv1.ModelInferSpec) string {
	b, _ := json.Marshal(spec.Template)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// InferMaxUnavailable is spec's maxUnavailable in groups: a percentage of its
// replicas rounded down, as the seed says.
func InferMaxUnavailable(spec *apiv1.ModelInferSpec) int {
	return InferRolloutLimits(spec).MaxUnavailable
}

// InferRolloutLimits are the bounds of spec's rolling update in groups: its partition,
// maxUnavailable (a percentage of the replicas rounded down) and maxSurge (rounded up),
// the defaults where it has none.
func InferRolloutLimits(spec *apiv1.ModelInferSpec) grouprollout.Limits {
	lim := grouprollout.Limits{MaxUnavailable: InferMaxUnavailableDefault, MaxSurge: InferMaxSurgeDefault}
	rs := spec.RolloutStrategy
	if rs == nil || rs.RollingUpdateConfiguration == nil {
		return lim
	}
	ru := rs.RollingUpdateConfiguration
	n := deref(spec.Replicas)
	if v, ok := groupsOf(ru.MaxUnavailable, n, false); ok {
		lim.MaxUnavailable = v
	}
	if v, ok := groupsOf(ru.MaxSurge, n, true); ok {
		lim.MaxSurge = v
	}
	lim.Partition = deref(ru.Partition)
	return lim
}

// groupsOf resolves a count or a percentage of n groups, rounded up or down; false
// where v is unset or does not parse (a value stored before it was checked).
func groupsOf(v *apiv1.IntOrString, n int, roundUp bool) (int, bool) {
	if v == nil {
		return 0, false
	}
	x, err := ParseIntOrPercent(*v)
	switch {
	case err != nil:
		return 0, false
	case !v.IsString:
		return x, true
	case roundUp:
		return (x*n + 99) / 100, true
	}
	return x * n / 100, true
}

// RestartGrace is how long after a pod's failure its group or role is recreated.
func RestartGrace(spec *apiv1.ModelInferSpec) time.Duration {
	if p := spec.Template.RestartGracePeriodSeconds; p != nil {
		return time.Duration(*p) * time.Second
	}
	return 0
}
