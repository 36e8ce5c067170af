package process

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
)

// ProbeTimeout bounds one probe's HTTP GET, as the kubelet's timeoutSeconds default.
const ProbeTimeout = time.Second

// podServing is what the runtime does for a service pod besides running it: the
// probes it runs against the pod and the service that balances over it. It is part
// of the pod's spec.json, so a server started later probes the pods it adopts.
type podServing struct {
	Readiness *apiv1.HealthCheck `json:"readiness,omitempty"`
	Liveness  *apiv1.HealthCheck `json:"liveness,omitempty"`
	// Service is the workload's service; nil without one.
	Service *apiv1.Service `json:"service,omitempty"`
	// Group is the pod's place in a ModelInfer's group; nil for other pods.
	Group *groupServing `json:"group,omitempty"`
}

// groupServing is a ModelInfer pod's place: its service balances over the entry
// pods of the groups whose every pod is ready, each on its own port.
type groupServing struct {
	Group int  `json:"group"`
	Pods  int  `json:"pods"`
	Entry bool `json:"entry"`
	Port  int  `json:"port,omitempty"`
	// Role, Recovery and Grace say what the pod's failure recreates (recovery.go).
	Role     string        `json:"role"`
	Recovery string        `json:"recovery"`
	Grace    time.Duration `json:"grace,omitempty"`
}

// servingOf is what the runtime does for pod p of req besides running it; nil for a
// workload without probes or service (a pod is ready while it runs).
func servingOf(req runtime.StartRequest, p runtime.PodSpec) *podServing {
	s := podServing{Readiness: req.Spec.Readiness, Liveness: req.Spec.Liveness}
	isService := req.Kind == apiv1.KindDeployment || req.Kind == apiv1.KindStatefulSet || req.Kind == apiv1.KindModelInfer
	if svc := req.Spec.Service; isService && svc != nil && svc.TargetPort > 0 {
		s.Service = svc
	}
	if r := p.Role; r != nil {
		s.Readiness, s.Liveness = r.Readiness, r.Liveness
		s.Group = &groupServing{Group: r.Group, Pods: r.GroupPods, Entry: r.Entry, Port: r.Port,
			Role: r.Role, Recovery: r.Recovery, Grace: r.RestartGrace}
	}
	if s == (podServing{}) {
		return nil
	}
	return &s
}

// probeClient is the HTTP client of every probe: no connection is kept between
// probes (each one must reach the pod afresh) and a redirect counts as the answer.
var probeClient = &http.Client{
	Timeout:   ProbeTimeout,
	Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
	CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	},
}

// probeURL is where h is asked on a pod with IP host.
func probeURL(host string, h *apiv1.HealthCheck) string {
	return "http://" + net.JoinHostPort(host, strconv.Itoa(h.Port)) + h.Path
}

// check GETs url once: nil when it answers 2xx or 3xx, as the kubelet counts.
func check(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "berth-probe")
	resp, err := probeClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// initialDelay is how long after a run starts h is first asked.
func initialDelay(h *apiv1.HealthCheck) time.Duration {
	return time.Duration(h.InitialDelaySeconds) * time.Second
}

// probeLoop asks url as h says until ctx ends: first after first, then every
// h.PeriodSeconds. It calls set(true) after every success and set(false) after
// every failure from the h.FailureThreshold-th in a row on (successThreshold 1).
func probeLoop(ctx context.Context, url string, h *apiv1.HealthCheck, first time.Duration, set func(healthy bool)) {
	wait := first
	period := time.Duration(max(h.PeriodSeconds, 1)) * time.Second
	failures := 0
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = period
		err := check(ctx, url)
		if ctx.Err() != nil {
			return // stopped while asking: the answer is nobody's
		}
		if err == nil {
			failures = 0
			set(true)
		} else if failures++; failures >= max(h.FailureThreshold, 1) {
			set(false)
		}
	}
}
