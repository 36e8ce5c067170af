// Package process is the runtime that runs every pod of a workload as a process group
// on this host, in a cgroup of its own.
//
// Nothing is held only in memory: each pod is a directory under
// <DataDir>/pods/<workloadID>/<dispatch>/<podID>/ with
//
//	spec.json    what to run (command, env, restartAlways, kind, rank, node), its cgroup and IP
//	pid          the shim's pid and start time (field 22 of /proc/<pid>/stat); a slot
//	             removes it when it goes on to another pod
//	status.json  phase, times, exit code, reason, restarts; rewritten in place by the shim
//	             under a lock (none: Pending)
//	log          stdout and stderr in the CRI log format kubelet writes
//	log.<name>   the same of the pod's sidecar of that name
//	stop         the time of the first stop request
//	restart      marks a restart after a failed liveness probe (restart.go)
//
// A pod runs under a shim (ShimMain, started as `berth pod-shim <dir>`, or as
// `berth-shim pod-shim <dir>` where the server found cmd/berth-shim, this package alone,
// beside it with its own ShimFingerprint) in a session of its own, so it outlives the
// server; the shim runs /bin/sh -c <command>, writes the log and records every state
// change. A Runtime started later on the same DataDir adopts the pods it finds through
// their pid files; a pid whose start time differs belongs to another process and the
// pod is reported gone. With Config.Slots, Start takes the directories of a new
// pod, its workload and dispatch from spares made ahead under DataDir/spare-pods
// (with an empty log and status.json, and spares of its spec and pid files), renamed
// into place: no new inode while a pod starts (spares.go).
//
// With Config.Sandbox a pod directory also has work/ (the pod's
// working directory, owned by its workspace's uid) and, with general secrets, secrets/,
// and the pod runs in new mount, PID and network namespaces, where the data dir is
// masked, as its workspace's uid without capabilities: see sandbox.go. On the host's
// filesystem, as root, the runtime starts the shim itself as PID 1 of the pod's new
// PID namespace, and the shim makes the mount and network namespaces on a thread of
// its own and forks the command from it: one exec of this binary per pod
// (shiminit.go). Such a pod is, where one is ready, handed a slot instead: a shim
// started ahead, in its own cgroup and network namespace, which runs one pod after
// another (slotshim.go, slots.go); no exec at all. In a user namespace or an image the shim runs the command through
// pod-init (PodInitMain, `berth pod-init <dir>`), PID 1 of the namespaces it is
// cloned into (podinit.go). Either way the pod's eth0 is one end of a veth on the host
// bridge, with an IP the runtime handed out at Start (recorded in pod-ips/ in the
// data dir: a symlink named by each IP handed out, and a hard link of it named by
// the pod, or the slot, while it holds it; see podips.go; a pod's is freed at
// Release), set up by the shim from outside the namespace before the command runs;
// see network.go. A server that is not root (Sandbox.UserNS: rootless.go,
// userns.go) puts pod-init in a user namespace instead of a network one: the shim maps
// the server's ids to 0 in it and the workspace's subordinate id to itself
// (newuidmap, newgidmap), and pod-init, root there, gives the pod its files before it
// makes the same view. Without a network namespace a pod shares the host's network,
// with a loopback address of its own. With Sandbox.PullImages the pod runs in its
// workload's image: the shim pulls it into DataDir/images (package image) before it
// starts pod-init, which makes an overlay of it the pod's root; see images.go and
// podrootfs.go.
//
// Where it can (as root, with the memory, cpu, cpuacct and pids controllers), the runtime
// makes each pod a cgroup, berth/<hash of DataDir>/<workloadID>.<dispatch>.<podID> under
// its own (github.com/opencontainers/cgroups resolves it on v1 and v2), limited to the
// pod's cpu (a CFS quota), memory and Config.PidsLimit processes, and records it in
// spec.json before it starts the shim; the shim joins it before anything else, so every
// process of the pod is in it, even one that leaves its process group. Start prepares
// every pod of a dispatch (spec, cgroup, secrets) before it starts any, under a
// "preparing" mark that makes the dispatch read as never started (where it prepares
// more than one: a pod is prepared once its spec is written); Status launches the
// prepared pods a server that died left unstarted, so a gang never misses a rank, even
// when another server on the same data dir takes over. A launch holds a lock beside the
// pid file (launch.lock), so no two callers launch one pod and a killed one's claim ends.
// Stop signals every process in the cgroup; a pod without a pid file (the server died
// between starting the shim and writing it) is reported and stopped through its cgroup; an
// OOM kill in it reads OOMKilled, exit code 137. Status removes the cgroup of a pod
// that ended once nothing is left in it, Stop that of a pod killed outright, and
// Release what is left of the workload's; RemoveCgroups removes those of a data dir
// whose server is gone (for test and benchmark harnesses). Where cgroups cannot be
// used Limits (and LimitsSupport, before a runtime is made) says why, and pods run
// without limits: the server refuses them unless told otherwise.
//
// Exec (exec.go) runs a command in a running pod as the pod runs: the server enters
// the namespaces of a process of the pod from a thread of its own and forks the
// command there, as the pod's uid, in its working directory and cgroup, with its env;
// a pod in a user namespace is entered through nsenter and `berth pod-enter`
// (enter.go). SSH's sftp subsystem runs this binary's own SFTP server
// (`berth sftp-server`, sftp.go) in the pod, handed to it as an open file.
//
// A pod's sidecars (containers.go, sidecars.go) are further processes of the pod,
// started beside its command by whoever starts it (the shim, the shim as PID 1, or
// pod-init), so they share its namespaces, uid and cgroup; they are stopped when the
// command ends, and one that fails ends the pod's run.
//
// The server probes service pods as the kubelet does, over HTTP on their IP (serve.go,
// probe.go): readiness makes PodStatus.Ready, a failed liveness kills the command but
// not the shim, which restarts it. Each TCP service gets an endpoint, a round-robin
// balancer (package endpoint) on a loopback port over its ready pods (service.go).
package process
