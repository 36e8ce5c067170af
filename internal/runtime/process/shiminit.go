package process

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"sync"
	"syscall"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// A sandboxed pod on the host's filesystem, of a server that is root, starts with one
// exec of this binary instead of two (the shim, then pod-init): the runtime starts
// the shim as PID 1 of a new PID namespace (launch), and the shim makes the pod's
// mount and network namespaces itself, on a thread of its own (locked to its
// goroutine, never unlocked, so it ends with it): unshare there, the veth set up from
// another thread, the pod's view mounted and the capability bounding set dropped
// there, and the command forked from there, which inherits all of it. The shim's
// other threads stay in the host's mount and network namespaces, so it writes the
// log and status.json as any shim does. As PID 1 it reaps every process of the pod,
// and when the command ends it kills what is left, as the end of pod-init's PID
// namespace does. A pod in a user namespace or an image still runs under pod-init.

// shimIsInit reports whether the pod's shim is started as PID 1 of the pod's PID
// namespace and sandboxes the pod itself.
func shimIsInit(spec podSpec) bool {
	return spec.Sandbox != nil && spec.Sandbox.UserNS == nil && spec.Image == nil
}

// runsAsInit reports whether this shim, of the pod of spec, sandboxes its pod itself:
// one launched so (a shim of such a pod that an older server started without a PID
// namespace of its own runs the pod under pod-init).
func runsAsInit(spec podSpec) bool {
	return shimIsInit(spec) && os.Getpid() == 1
}

// becomeInit readies the shim, PID 1 of the pod, for the pod: undumpable, so no
// process of the pod, which sees it as /proc/1, can read its memory or files (it holds
// the host's mount namespace) even under the same uid.
func becomeInit() error {
	if err := unix.Prctl(unix.PR_SET_DUMPABLE, 0, 0, 0, 0); err != nil {
		return fmt.Errorf("make the shim undumpable: %w", err)
	}
	return nil
}

// runAsInit runs the command and its sidecars once, in new mount and network
// namespaces, from the shim, PID 1 of the pod, and returns how the command ended.
func (s *shim) runAsInit() (syscall.WaitStatus, error) {
	cmd := &exec.Cmd{}
	var drain sync.WaitGroup
	closeWriters, sidecarOut, err := s.pipeOutput(cmd, &drain)
	defer closeWriters()
	if err != nil {
		return 0, err
	}
	sidecars, err := s.startInPod(cmd, sidecarOut)
	if err != nil {
		return 0, err
	}
	defer cmd.Process.Release()
	closeWriters() // only the containers hold the write ends now
	s.markRunning()
	ws, err := s.waitAsInit(cmd.Process, sidecars)
	s.awaitDrain(&drain)
	return ws, err
}

// startInPod sets cmd to the pod's command and starts it and the pod's sidecars
// (their output on out) in the pod's namespaces, made on a thread of their own (made
// ahead for the pod's first run where the pod was handed to a slot); it returns the
// sidecars by pid.
func (s *shim) startInPod(cmd *exec.Cmd, out [][2]*os.File) (map[int]string, error) {
	thread := s.thread
	s.thread = nil // made for one run
	if thread == nil {
		var err error
		if thread, err = newPodThread(s.spec.Network, s.netns); err != nil {
			return nil, err
		}
	}
	var sidecars map[int]string
	err := thread.do(func() error {
		pod, defaults, err := enterPod(s.dir, s.spec)
		if err != nil {
			return err
		}
		cmd.Path, cmd.Args, cmd.Env, cmd.Dir, cmd.SysProcAttr = pod.Path, pod.Args, pod.Env, pod.Dir, pod.SysProcAttr
		sidecars, err = startContainers(cmd, sidecarCmds(s.spec, cmd, defaults, out), s.spec)
		return err
	})
	return sidecars, err
}

// podThread is an OS thread in new mount (and network) namespaces, made for a pod:
// it runs one job there (the pod's view made and its processes forked) and ends with
// it, never to be used by another goroutine.
type podThread struct {
	jobs chan func() error
	done chan error
}

// newPodThread makes a thread in a new mount namespace and in the network namespace
// netns, or without it a new one with the pod network n (none without n).
func newPodThread(n *podNetwork, netns *os.File) (*podThread, error) {
	t := &podThread{jobs: make(chan func() error), done: make(chan error, 1)}
	made := make(chan error, 1)
	go func() {
		// Never unlocked: the thread, in the pod's namespaces and without
		// capabilities, ends with this goroutine.
		goruntime.LockOSThread()
		err := unsharePod(n, netns)
		made <- err
		if err != nil {
			return
		}
		if job, ok := <-t.jobs; ok {
			t.done <- job()
		}
	}()
	return t, <-made
}

// do runs job on the thread and returns its error.
func (t *podThread) do(job func() error) error {
	t.jobs <- job
	return <-t.done
}

// end ends the thread if it ran no job; once it has, it does nothing.
func (t *podThread) end() { close(t.jobs) }

// unsharePod moves the calling (locked) thread into a new mount namespace and into
// the network namespace netns, or without it, with n, a new one with the pod's eth0.
func unsharePod(n *podNetwork, netns *os.File) error {
	if netns != nil {
		if err := unix.Setns(int(netns.Fd()), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter the slot's network namespace: %w", err)
		}
		n = nil
	}
	flags := unix.CLONE_NEWNS
	if n != nil {
		flags |= unix.CLONE_NEWNET
	}
	if err := unix.Unshare(flags); err != nil {
		return fmt.Errorf("make the pod's namespaces: %w", err)
	}
	if n != nil {
		if err := attachThreadNetwork(*n); err != nil {
			return fmt.Errorf("pod network: %w", err)
		}
	}
	return nil
}

// attachThreadNetwork gives the network namespace of this (locked) thread the pod's
// eth0, its IP, lo and default route: the veth is made from another thread, in the
// host's namespace, the pod's links are configured from this one.
func attachThreadNetwork(n podNetwork) error {
	// Not netns.Get: it names the thread by pids of the host's /proc, which this
	// shim, in a PID namespace of its own, does not know.
	ns, err := netns.GetFromPath("/proc/thread-self/ns/net")
	if err != nil {
		return fmt.Errorf("the pod's network namespace: %w", err)
	}
	defer ns.Close()
	added := make(chan error, 1)
	go func() { added <- addVeth(ns, n) }()
	if err := <-added; err != nil {
		return err
	}
	inside, err := netlink.NewHandle(unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("the pod's network namespace: %w", err)
	}
	defer inside.Close()
	return configurePodLinks(inside, n)
}

// waitAsInit waits for the pod's command, reaping every process of the pod that ends
// meanwhile and passing on the signals sent to the shim alone; a failed sidecar
// (of sidecars, by pid) ends the run. Then it stops the sidecars left and kills and
// reaps what the pod left, so that a restart starts from an empty pod.
func (s *shim) waitAsInit(pod *os.Process, sidecars map[int]string) (syscall.WaitStatus, error) {
	type exit struct {
		ws      syscall.WaitStatus
		failure *sidecarFailure
		err     error
	}
	done := make(chan exit, 1)
	go func() {
		ws, failure, err := reapPod(pod.Pid, sidecars, s.sidecarEndExpected)
		done <- exit{ws, failure, err}
	}()
	for {
		select {
		case sig := <-s.signals:
			s.stopping = true
			// A stop by the runtime signals every process of the pod, the command
			// included: forward only signals sent to the shim alone.
			if !stopRequested(s.dir) {
				_ = pod.Signal(sig)
			}
		case e := <-done:
			if e.failure == nil && e.err == nil {
				stopSidecarsAsInit(sidecars, sidecarStopGrace)
			}
			s.failure = e.failure
			killPodLeftovers()
			return e.ws, e.err
		}
	}
}

// killPodLeftovers kills every other process of the shim's PID namespace and reaps
// them.
func killPodLeftovers() {
	// kill(-1) from PID 1 of a namespace reaches the processes of that namespace
	// alone, never the shim itself.
	if err := syscall.Kill(-1, syscall.SIGKILL); err != nil {
		return // ESRCH: none left
	}
	for {
		_, err := syscall.Wait4(-1, nil, 0, nil)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return // ECHILD: all reaped
		}
	}
}
