package process

import (
	"cmp"
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// serving probes the runtime's live service pods, as the kubelet does from the node,
// and keeps each service's endpoint balancing over the ready ones. Status feeds it
// every pod it reads (observe), so a server started later takes over the pods it
// adopts as soon as the controller reads them; Release ends a workload's.
type serving struct {
	podsDir string
	// notify tells the controller a pod's readiness changed.
	notify func()
	// restart ends the command of the pod in dir but not its shim, which runs it again.
	restart func(dir string) error

	mu       sync.Mutex
	pods     map[string]*servedPod // by pod directory
	services map[string]*service   // by workload
}

// servedPod is one run of a live pod with probes or a service.
type servedPod struct {
	workloadID string
	dir        string
	run        podRun
	ip         string
	// ready is the readiness probe's verdict; a pod without one is ready while it runs.
	ready bool
	// group is a ModelInfer pod's place in its group (nil for other pods).
	group  *groupServing
	cancel context.CancelFunc
}

// podRun tells the runs of a pod apart: a restart of its command is probed afresh,
// initial delay included, as the kubelet does for a new container.
type podRun struct {
	Start    time.Time `json:"start"`
	Restarts int       `json:"restarts"`
}

// is reports whether r and o are the same run (times read back from JSON compare
// by instant, not by location).
func (r podRun) is(o podRun) bool { return r.Start.Equal(o.Start) && r.Restarts == o.Restarts }

// readyFile, in a pod directory, holds the readiness probe's last verdict on the
// pod's run, so that a server started later counts an adopted pod as it was,
// without waiting out the initial delay again.
const readyFile = "ready"

// readyVerdict is readyFile.
type readyVerdict struct {
	Run   podRun `json:"run"`
	Ready bool   `json:"ready"`
}

// lastVerdict is the readiness verdict recorded on run of the pod in dir; false when
// there is none.
func lastVerdict(dir string, run podRun) (ready, ok bool) {
	var v readyVerdict
	if err := readJSON(filepath.Join(dir, readyFile), &v); err != nil || !v.Run.is(run) {
		return false, false
	}
	return v.Ready, true
}

// observe takes note of pod p read from dir and returns whether it is ready: it runs
// (not waiting to restart) and its readiness probe, if any, passes.
func (s *serving) observe(workloadID, dir string, spec podSpec, p runtime.PodStatus) bool {
	// Between a crash and its restart the shim keeps the phase Running with an end time.
	running := p.Phase == workload.PodRunning && p.EndTime.IsZero()
	if spec.Serving == nil {
		return running
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forgetOtherDispatches(workloadID, filepath.Dir(dir))
	sp := s.pods[dir]
	run := podRun{Start: p.StartTime, Restarts: p.Restarts}
	if sp != nil && (!running || !sp.run.is(run)) {
		s.forget(dir)
		sp = nil
	}
	if running && sp == nil {
		sp = s.start(workloadID, dir, spec.Serving, run, p.PodIP)
	}
	if svc := spec.Serving.Service; svc != nil {
		s.ensureService(workloadID, *svc)
	}
	s.refresh(workloadID)
	return sp != nil && sp.ready
}

// start probes a new run of the pod in dir; the caller holds s.mu.
func (s *serving) start(workloadID, dir string, ps *podServing, run podRun, ip string) *servedPod {
	ctx, cancel := context.WithCancel(context.Background())
	sp := &servedPod{workloadID: workloadID, dir: dir, run: run, ip: ip, ready: ps.Readiness == nil, group: ps.Group, cancel: cancel}
	s.pods[dir] = sp
	if h := ps.Readiness; h != nil {
		first := initialDelay(h)
		if ready, ok := lastVerdict(dir, run); ok {
			sp.ready, first = ready, 0 // adopted: its initial delay is over
		}
		go probeLoop(ctx, probeURL(ip, h), h, first, func(healthy bool) { s.setReady(sp, healthy) })
	}
	if h := ps.Liveness; h != nil {
		live, stop := context.WithCancel(ctx)
		go probeLoop(live, probeURL(ip, h), h, initialDelay(h), func(healthy bool) {
			if healthy {
				return
			}
			stop() // this run is over: the next one is probed afresh
			slog.Info("process runtime: liveness probe failed, restarting the pod", "pod", filepath.Base(dir),
				"url", probeURL(ip, h))
			if err := s.restart(dir); err != nil {
				slog.Warn("process runtime: restart a pod that failed its liveness probe", "pod", filepath.Base(dir), "err", err)
			}
		})
	}
	return sp
}

// setReady records the readiness probe's verdict on sp and, when it changed, takes
// the pod in or out of its endpoint and tells the controller.
func (s *serving) setReady(sp *servedPod, ready bool) {
	s.mu.Lock()
	changed := s.pods[sp.dir] == sp && sp.ready != ready // a pod forgotten has no say
	if changed {
		sp.ready = ready
		s.refresh(sp.workloadID)
		if err := writeJSON(filepath.Join(sp.dir, readyFile), readyVerdict{Run: sp.run, Ready: ready}); err != nil {
			slog.Warn("process runtime: record a pod's readiness", "pod", filepath.Base(sp.dir), "err", err)
		}
	}
	s.mu.Unlock()
	if changed {
		s.notify()
	}
}

// forget stops probing the pod in dir; the caller holds s.mu.
func (s *serving) forget(dir string) {
	if sp, ok := s.pods[dir]; ok {
		sp.cancel()
		delete(s.pods, dir)
	}
}

// forgetPod stops probing the pod in dir, a pod the workload no longer has, and
// points its endpoint at the others.
func (s *serving) forgetPod(workloadID, dir string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forget(dir)
	s.refresh(workloadID)
}

// forgetOtherDispatches stops probing the pods of the workload that are not in the
// dispatch directory ddir, the one the controller reads: those of earlier dispatches
// ended; the caller holds s.mu.
func (s *serving) forgetOtherDispatches(workloadID, ddir string) {
	for dir, sp := range s.pods {
		if sp.workloadID == workloadID && filepath.Dir(dir) != ddir {
			s.forget(dir)
		}
	}
}

// release stops probing the workload's pods and closes its endpoint.
func (s *serving) release(workloadID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for dir, sp := range s.pods {
		if sp.workloadID == workloadID {
			s.forget(dir)
		}
	}
	if svc, ok := s.services[workloadID]; ok {
		_ = svc.balancer.Close()
		delete(s.services, workloadID)
	}
}

// refresh points the workload's endpoint at its ready pods; the caller holds s.mu.
func (s *serving) refresh(workloadID string) {
	svc, ok := s.services[workloadID]
	if !ok {
		return
	}
	readyInGroup := map[int]int{}
	for _, sp := range s.pods {
		if sp.workloadID == workloadID && sp.ready && sp.group != nil {
			readyInGroup[sp.group.Group]++
		}
	}
	var backends []string
	for _, sp := range s.pods {
		if sp.workloadID != workloadID || !sp.ready {
			continue
		}
		port := svc.spec.TargetPort
		if g := sp.group; g != nil { // a ModelInfer's entry pod of a group all ready
			if !g.Entry || readyInGroup[g.Group] < g.Pods {
				continue
			}
			port = cmp.Or(g.Port, port)
		}
		backends = append(backends, net.JoinHostPort(sp.ip, strconv.Itoa(port)))
	}
	slices.Sort(backends) // a set that did not change keeps its turns
	svc.balancer.SetBackends(backends)
}
