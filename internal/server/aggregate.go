package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/berth-dev/berth/internal/kubeapi"
	"github.com/berth-dev/berth/internal/kubeapi/apiservice"
	"github.com/berth-dev/berth/internal/kubeapi/frontproxy"
	"github.com/berth-dev/berth/internal/kubeconfig"
	"github.com/berth-dev/berth/internal/usecase"
)

// aggregation is Berth's Kubernetes API as an aggregated API of the kube runtime's
// cluster (--aggregate-service): the Service the cluster reaches Berth by, and the
// cluster's client.
type aggregation struct {
	service apiservice.Service
	rest    *rest.Config
}

// newAggregation reads --aggregate-service; nil when it is not set. listen is the
// listener's address, whose port is the Service's when the flag names none.
func newAggregation(cfg Config, listen net.Addr) (*aggregation, error) {
	if cfg.AggregateService == "" {
		return nil, nil
	}
	if cfg.Kubeconfig == "" {
		return nil, fmt.Errorf("--aggregate-service needs --kubeconfig: Berth is aggregated into the cluster it runs workloads on")
	}
	svc, err := parseService(cfg.AggregateService, listen)
	if err != nil {
		return nil, err
	}
	rc, err := kubeconfig.FileRESTConfig(cfg.Kubeconfig, cfg.KubeContext)
	if err != nil {
		return nil, fmt.Errorf("--aggregate-service: %w", err)
	}
	return &aggregation{service: svc, rest: rc}, nil
}

// parseService reads NAMESPACE/NAME[:PORT], the port defaulting to addr's.
func parseService(s string, addr net.Addr) (apiservice.Service, error) {
	bad := func(why string) error {
		return fmt.Errorf("--aggregate-service %q: %s (want NAMESPACE/NAME[:PORT], e.g. berth/berth:8088)", s, why)
	}
	ref, port, hasPort := strings.Cut(s, ":")
	ns, name, ok := strings.Cut(ref, "/")
	if !ok {
		return apiservice.Service{}, bad("no namespace")
	}
	for _, part := range []string{ns, name} {
		if errs := validation.IsDNS1123Label(part); len(errs) > 0 {
			return apiservice.Service{}, bad(part + ": " + strings.Join(errs, "; "))
		}
	}
	svc := apiservice.Service{Namespace: ns, Name: name}
	if tcp, isTCP := addr.(*net.TCPAddr); isTCP {
		svc.Port = int32(tcp.Port)
	}
	if hasPort {
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			return apiservice.Service{}, bad("the port is a number from 1 to 65535")
		}
		svc.Port = int32(p)
	}
	return svc, nil
}

// dnsName is the name the cluster's API server expects the serving certificate to
// show: <name>.<namespace>.svc.
func (a *aggregation) dnsName() string { return a.service.Name + "." + a.service.Namespace + ".svc" }

// serving is what the listener's TLS needs for a (nil: not aggregated).
func (a *aggregation) serving() serving {
	if a == nil {
		return serving{}
	}
	return serving{names: []string{a.dnsName(), a.dnsName() + ".cluster.local"}, clientCerts: true}
}

// frontProxy is the authenticator of the requests the cluster proxies, following
// its front-proxy settings until ctx ends (nil when not aggregated).
func (a *aggregation) frontProxy(ctx context.Context) (authenticator.Request, error) {
	if a == nil {
		return nil, nil
	}
	client, err := kubernetes.NewForConfig(a.rest)
	if err != nil {
		return nil, fmt.Errorf("--aggregate-service: %w", err)
	}
	fp, err := frontproxy.New(ctx, client)
	if err != nil {
		return nil, fmt.Errorf("--aggregate-service: %w", err)
	}
	return fp, nil
}

// register tells the cluster to proxy Berth's API groups to the Service, trusting
// the serving certificate's CA.
func (a *aggregation) register(ctx context.Context, svc *usecase.Service, caBundle []byte, log *slog.Logger) error {
	if a == nil {
		return nil
	}
	client, err := dynamic.NewForConfig(a.rest)
	if err != nil {
		return fmt.Errorf("--aggregate-service: %w", err)
	}
	versions := kubeapi.GroupVersions(svc)
	if err := apiservice.Register(ctx, client, a.service, caBundle, versions); err != nil {
		return fmt.Errorf("--aggregate-service: %w", err)
	}
	log.Info("kubernetes api aggregated into the cluster", "service", a.service.Namespace+"/"+a.service.Name,
		"port", a.service.Port, "apiservices", len(versions))
	return nil
}
