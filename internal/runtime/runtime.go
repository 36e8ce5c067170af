// Package runtime is the seam between Berth's control loops and what actually runs
// pods: the Runtime interface, the requests and statuses that cross it, and its
// sentinel errors. Implementations live in process/ (this host) and kube/; the
// conformance suite all of them pass is runtimetest.
//
// The interface is level-triggered: the controller states what should run (Start),
// what should stop (Stop), and reads back what is (Status); every call is idempotent
// and safe to repeat after a crash of either side.
package runtime

import (
	"context"
	"errors"
	"io"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/workload"
	"github.com/berth-dev/berth/internal/workload/grouprollout"
)

// ErrNotFound: no such pod (or its logs are gone).
var ErrNotFound = errors.New("runtime: not found")

// ErrUnsupported: the runtime does not do what was asked (a ServiceReader over
// runtimes some of which make no service objects).
var ErrUnsupported = errors.New("runtime: not supported")

// ErrRejected wraps the errors of a Start that cannot succeed however often it is
// repeated (the runtime cannot run what the request asks); other Start errors are
// worth a retry.
var ErrRejected = errors.New("runtime: rejected")

// Runtime runs the pods of placed workloads.
type Runtime interface {
	// Nodes describes the nodes this runtime offers.
	Nodes(ctx context.Context) ([]inventory.Node, error)
	// Start starts every pod of one dispatch of a workload. Pods of that dispatch that
	// already exist are left alone, so Start may be repeated.
	Start(ctx context.Context, req StartRequest) error
	// Stop asks every pod of the workload (any dispatch) to end: SIGTERM (or its
	// equivalent) at once, a hard kill once grace has passed since the first Stop. It
	// does not wait; call it again until Status shows no live pod.
	Stop(ctx context.Context, ref Ref, grace time.Duration) error
	// Status reports the pods of the dispatch ref names.
	Status(ctx context.Context, ref Ref) ([]PodStatus, error)
	// Logs returns the last lines a pod wrote (its latest dispatch that has the pod,
	// whatever dispatch ref names).
	Logs(ctx context.Context, ref Ref, podID string, opts LogOptions) ([]string, error)
	// Containers names the containers of a pod.
	Containers(ctx context.Context, ref Ref, podID string) ([]string, error)
	// Release removes what is left of a workload whose pods have all ended (log files,
	// bookkeeping). Logs return ErrNotFound afterwards.
	Release(ctx context.Context, ref Ref) error
	// Changed is signalled (without blocking, coalesced) whenever a pod changes state,
	// so the controller need not wait for its next tick. It may be nil.
	Changed() <-chan struct{}
}

// ChangeTracker is an optional extra of a runtime: which workloads' pods changed,
// so that the controller need not look at all the others after each change.
type ChangeTracker interface {
	// ChangedWorkloads returns the workloads whose pods or objects changed since the
	// last call, and forgets them; all is true when some changed that it cannot name
	// (every workload must be looked at).
	ChangedWorkloads() (ids []string, all bool)
}

// HealthChecker is an optional extra of a runtime that depends on something it may
// lose (kube: the API server).
type HealthChecker interface {
	// Health returns why the runtime cannot work now, or nil.
	Health(ctx context.Context) error
}

// WorkloadLister is an optional extra of a runtime: the workloads it holds anything
// of, so that what belongs to no known workload can be removed.
type WorkloadLister interface {
	WorkloadIDs(ctx context.Context) ([]string, error)
}

// Updater is an optional extra of a runtime that can change a running dispatch in
// place: to a changed pod template (image, entryPoint, env), replacing its pods one by
// one on their nodes, and to a placement with more or fewer ranks, adding or removing
// the pods of those ranks only. Pods report the template they were made from.
type Updater interface {
	// Updates reports whether Update can apply the request.
	Updates(req StartRequest) bool
	// Update applies the request's template and placement to its dispatch;
	// ErrUnsupported where Updates is false.
	Update(ctx context.Context, req StartRequest) error
}

// GroupRoller is an optional extra of an Updater that replaces a ModelInfer's groups
// in place when their template changes (Groups.Template), group by group within
// Groups.Limits (grouprollout.Plan); without it a changed ModelInfer restarts as a
// new dispatch.
type GroupRoller interface {
	// RollsGroups reports whether Update can move the request's groups to its
	// template in place.
	RollsGroups(req StartRequest) bool
}

// SecretUpdater is an optional extra of a runtime that keeps copies of secrets (the
// kube runtime's Kubernetes Secrets): it brings every copy of a changed secret up to
// date, so that running pods and controllers see the new values (the kubelet
// refreshes a mounted Secret; the actions-runner-controller reads a runner set's
// token again). Runtimes that read a secret only when a pod starts need not.
type SecretUpdater interface {
	UpdateSecret(ctx context.Context, s Secret) error
}

// DispatchLogger is an optional extra of a runtime: the log of a pod in one given
// dispatch. Logs only reads a pod's latest dispatch, so without it the earlier
// dispatches of a pod name that ran again cannot be read.
type DispatchLogger interface {
	// DispatchLogs returns what the pod wrote in the dispatch ref names.
	DispatchLogs(ctx context.Context, ref Ref, podID string) ([]string, error)
}

// OutputReader is an optional extra of a runtime: when a pod last wrote output, by
// which the controller tells a supervised job that looks hung.
type OutputReader interface {
	// LastOutput returns when the pod, in the dispatch ref names, last wrote a line
	// to its log (the zero time if it wrote none yet); ErrNotFound when it has no
	// such pod.
	LastOutput(ctx context.Context, ref Ref, podID string) (time.Time, error)
}

// UsageReader is an optional extra of a runtime: how much CPU and GPU the pods of a
// dispatch use, by which the controller tells a dev machine in use from an idle one.
type UsageReader interface {
	// CPUUsage returns the CPU time the live pods of the dispatch ref names have used
	// (a counter: its growth between two reads is the use meanwhile); ErrUnsupported
	// where the runtime cannot tell (pods without cgroups).
	CPUUsage(ctx context.Context, ref Ref) (time.Duration, error)
	// GPUUtilization returns how busy the busiest GPU the dispatch's pods hold is
	// now, in percent; ErrUnsupported where they hold none or it cannot tell.
	GPUUtilization(ctx context.Context, ref Ref) (float64, error)
}

// Committer is an optional extra of a runtime whose pods run in images: what a pod
// changed in its image's filesystem, as a layer over that image (as `nerdctl commit`
// makes one), for exportimage to save a dev machine's environment.
type Committer interface {
	// Diff writes the changes of the pod of the dispatch ref names to layer, an
	// uncompressed tar with deletions as the OCI image spec's whiteouts, and returns
	// the manifest digest of the image they are over; an error wrapping
	// ErrUnsupported, saying why, where the pod does not run in an image the runtime
	// unpacked; ErrNotFound where there is no such pod.
	Diff(ctx context.Context, ref Ref, podID string, layer io.Writer) (base string, err error)
}

// ServiceReader is an optional extra of a runtime whose services are objects of their
// own (kube): how a workload's service is reached, read from the service itself.
type ServiceReader interface {
	// Service returns the workload's service, ErrNotFound when it has none.
	Service(ctx context.Context, ref Ref) (Endpoint, error)
}

// Endpoint is a workload's service as the runtime made it.
type Endpoint struct {
	Namespace, ClusterIP, Type, Protocol, PortName string
	Port, TargetPort, NodePort                     int
	// Address is where the service is reached when not through the cluster's DNS
	// (the process runtime's balancer on this host: 127.0.0.1:<port>); "" on kube.
	Address string
}

// Execer is an optional extra of a runtime: a command run in a running pod, as the
// pod runs (its namespaces, uid, working directory and env), for SSH sessions and web
// shells. ErrNotFound: no such pod or container, or the pod does not run.
type Execer interface {
	// Exec runs req.Command in the pod's container until it exits or ctx ends (which
	// kills it), and returns its exit code (128+n for signal n).
	Exec(ctx context.Context, ref Ref, podID string, req ExecRequest) (exitCode int, err error)
}

// ExecRequest is a command to run in a pod.
type ExecRequest struct {
	// Container is the container to run in ("": the pod's main one).
	Container string
	// Command is the program and its arguments, looked up on the pod's PATH.
	Command []string
	// SFTP runs an SFTP server on Stdin and Stdout in place of Command (SSH's sftp
	// subsystem, which sftp and scp use), serving the pod's files as the pod's user.
	SFTP bool
	// Env holds variables set besides the pod's (TERM for a terminal).
	Env map[string]string
	// TTY runs the command on a terminal of Size, resized by what comes on Resize;
	// its output all comes on Stdout.
	TTY    bool
	Size   TermSize
	Resize <-chan TermSize
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
}

// TermSize is a terminal's size in characters.
type TermSize struct {
	Cols, Rows uint16
}

// Ref names a workload to a runtime, with where it runs, so that a runtime over
// several clusters (fleet) sends each call to the workload's cluster without looking
// it up.
type Ref struct {
	WorkloadID string
	// Cluster is the cluster of the workload's workspace; "" where it is not known
	// (pods that belong to no workload): Stop and Release then ask every cluster, and
	// the other calls find nothing.
	Cluster   string
	Workspace string
	// Dispatch is the dispatch Status and DispatchLogs read; the other calls cover
	// every dispatch.
	Dispatch int
}

// RefOf is the reference to w's latest dispatch.
func RefOf(w *workload.Workload) Ref {
	return Ref{WorkloadID: w.ID, Cluster: w.Cluster, Workspace: w.Workspace(), Dispatch: w.Status.DispatchCount}
}

// StartRequest is one dispatch of a placed workload.
type StartRequest struct {
	WorkloadID string
	Kind       string
	Cluster    string // of the workspace
	Workspace  string
	Dispatch   int
	// Env is the workload's env plus the platform env that does not depend on the
	// runtime (WORKLOAD_ID, WORKLOAD_KIND, DISPATCH_COUNT, GPUS_PER_NODE).
	Env map[string]string
	// Command is the decoded entryPoint, run with /bin/sh -c.
	Command string
	// RestartAlways restarts a pod whose process ends (service kinds).
	RestartAlways bool
	Pods          []PodSpec
	// Spec is the workload as submitted (image, resources, probes, service...), for
	// runtimes that render it into objects of their own (kube).
	Spec apiv1.WorkloadSpec
	// Secrets are the workload's secrets, decrypted, for runtimes that use them.
	Secrets []Secret
	// Home, when set, is the workload's home (a dev machine's): a volume that outlives
	// its pods, mounted at their HOME, kept by Stop, removed by Release.
	Home *Home
	// Infer is a ModelInfer's spec, for runtimes that render its roles' pod templates
	// themselves (kube); nil for other kinds.
	Infer *apiv1.ModelInferSpec
	// Groups, for a workload run as inference groups (a ModelInfer), is how its
	// groups are laid out and replaced; nil for other workloads.
	Groups *Groups `json:",omitempty"`
}

// Groups describes the inference groups of a ModelInfer to its runtime: group g
// holds the ranks g*Size to (g+1)*Size-1, and a change of Template replaces them
// group by group (grouprollout.Plan) within Limits.
type Groups struct {
	Size int
	// Template is the workload.InferTemplateHash of the groups: the Template every
	// pod made from it reports.
	Template string
	Limits   grouprollout.Limits
}

// Home is how a workload's home volume is made where the runtime makes volumes
// (kube: a PersistentVolumeClaim).
type Home struct {
	// StorageClass is the class of the volume ("": the cluster's default).
	StorageClass string
	// Size is the quantity of storage asked for (such as 50Gi).
	Size string
}

// Ref is the reference to the request's dispatch.
func (r StartRequest) Ref() Ref {
	return Ref{WorkloadID: r.WorkloadID, Cluster: r.Cluster, Workspace: r.Workspace, Dispatch: r.Dispatch}
}

// PlatformEnv is the part of Env the platform sets (WORKLOAD_ID and the others), not
// the workload's own env: what a sidecar gets besides its own.
func (r StartRequest) PlatformEnv() map[string]string {
	out := make(map[string]string, len(r.Env))
	for k, v := range r.Env {
		if _, own := r.Spec.Env[k]; !own {
			out[k] = v
		}
	}
	return out
}

// Secret is a secret a workload names: an image secret lets the runtime pull the
// workload's image; a general one is mounted read-only at /etc/secrets/<id>.
type Secret struct {
	ID, Type string
	Params   []map[string][]byte
}

// PodSpec is one replica: its name, rank and placement.
type PodSpec struct {
	PodID string
	Rank  int
	Node  string
	// GPUs are device indices on Node handed to this pod.
	GPUs []int
	// Role is what this pod runs in place of the request's command and probes, for a
	// workload whose pods are not all alike (a ModelInfer's); nil otherwise.
	Role *PodRole `json:",omitempty"`
}

// PodRole is what one pod of a ModelInfer runs: its role's template, and its place
// in its inference group.
type PodRole struct {
	// Command replaces the request's; Env adds to its env.
	Command string
	Env     map[string]string
	// Readiness and Liveness replace the workload's probes (nil: none).
	Readiness, Liveness *apiv1.HealthCheck `json:",omitempty"`
	// EntryPod names the pod whose IP the pod gets as ENTRY_ADDR: its role instance's
	// entry pod (itself on an entry pod).
	EntryPod string
	// Group is the pod's inference group, GroupPods how many of its pods are placed
	// (a group may start with its minRoleReplicas only): the workload's endpoint
	// balances over the entry pods (Entry) of the groups whose every pod is ready, on
	// Port.
	Group, GroupPods int
	Entry            bool
	Port             int
	// Role names the pod's role. Recovery is what a failed pod recreates besides
	// itself (apiv1.RecoveryInferGroupRecreate: its group; RecoveryRoleRecreate: the
	// pods of its role in its group; RecoveryNone: nothing), RestartGrace how long
	// after the failure.
	Role         string
	Recovery     string
	RestartGrace time.Duration
}

// PodStatus is what the runtime knows of one pod.
type PodStatus struct {
	PodID     string
	Rank      int
	Node      string
	HostIP    string
	PodIP     string
	Phase     string // workload.PodPending / PodRunning / PodSucceeded / PodFailed
	StartTime time.Time
	EndTime   time.Time
	ExitCode  int32
	Reason    string // e.g. "Completed", "Error", "Killed"
	Message   string
	Restarts  int
	// Ready: the pod serves (Kubernetes' Ready condition: its readiness probe passes;
	// a runtime without probes counts a running pod ready).
	Ready bool
	// Template is the workload.PodTemplateHash the pod was made from (a ModelInfer's
	// pod: its Groups.Template; "" where the runtime does not update pods in place).
	Template string
	// PIDs are the process ids of the pod's process group (process runtime only).
	PIDs []int
	// ObjectUID is the uid of the Kubernetes object of the pod's dispatch (a bare
	// pod's own), which the workload shows as k8sObjectUid (kube runtime only).
	ObjectUID string
}

// Live reports whether the pod may still run.
func (p PodStatus) Live() bool { return p.Phase == "Pending" || p.Phase == "Running" }

// LogOptions selects log lines.
type LogOptions struct {
	Container    string
	TailLines    int // 0: all
	SinceSeconds int // 0: no limit
}
