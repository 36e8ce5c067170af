package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-dev/berth/internal/activity"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/controller"
	"github.com/berth-dev/berth/internal/controller/clusters"
	"github.com/berth-dev/berth/internal/httpapi"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/kubeapi"
	"github.com/berth-dev/berth/internal/kubeconfig"
	"github.com/berth-dev/berth/internal/metrics"
	"github.com/berth-dev/berth/internal/runtime/kube"
	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/store/observed"
	"github.com/berth-dev/berth/internal/tlssniff"
	"github.com/berth-dev/berth/internal/usecase"
	"github.com/berth-dev/berth/internal/watch"
)

// Run serves until ctx ends, then shuts down gracefully. Pods keep running across a
// restart: the next server adopts them.
func Run(ctx context.Context, cfg Config, log *slog.Logger) error {
	grace, err := time.ParseDuration(cfg.StopGrace)
	if err != nil {
		return fmt.Errorf("--stop-grace: %w", err)
	}
	if err := checkTokenTTL(cfg.TokenTTL); err != nil {
		return err
	}
	// Bind first: a busy port must not leave a database, a key and an admin behind.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen: %w", err)
	}
	defer ln.Close() // serve closes it; this covers the returns before serve
	sshLn, sshAt, err := listenSSH(cfg.SSHListen)
	if err != nil {
		return err
	}
	if sshLn != nil {
		defer sshLn.Close()
	}
	if err := makeDataDir(cfg.DataDir); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, closeStore, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeStore()
	reg := metrics.New()
	st = observed.New(st, reg)
	ctx, cancel := context.WithCancel(ctx) // ends what uses the store before it closes
	defer cancel()
	keys, err := auth.LoadOrCreateKeys(filepath.Join(cfg.DataDir, "secret.key"))
	if err != nil {
		return err
	}
	kubeCfg := kube.Config{Instance: keys.InstanceID(), QPS: cfg.KubeAPIQPS, Log: log}
	s, err := newSite(ctx, cfg, kubeCfg)
	if err != nil {
		return err
	}
	if closer, ok := s.Runtime.(interface{ Close() }); ok {
		defer closer.Close() // the process runtime's slots; its pods run on
	}
	rt, clusterLoop := newFleet(st, keys, s, kubeCfg, log)
	keyFile, err := bootstrap(ctx, st, keys, s.Cluster, clusterLoop.SyncPrimary, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	go clusterLoop.Run(ctx)

	shells := activity.New(nil)
	ctrlCfg := controller.Config{Store: st, Runtime: rt, Log: log, StopGrace: grace, Interval: loopInterval(cfg),
		StartConcurrency: startConcurrency, Secrets: workloadSecrets(st, keys), SuperviseAfter: superviseAfter(cfg), Metrics: reg,
		Activity: shells.Last, CullSample: cfg.CullSample}
	ops := newOpsJobRunner(cfg, st, rt, keys, log)
	ctrlCfg.RunOpsJobs = ops.Run
	ctrl := controller.NewLeader(ctrlCfg, holderName(cfg), controller.DefaultLeaseTTL)
	reg.WatchLoops(ctrl)
	wake := func() { ctrl.Wake(); ops.Wake(); clusterLoop.Wake() }
	if w, ok := st.(store.Waker); ok {
		wake = wakeAcross(ctx, w, wake, log)
	}
	hub := watch.New(watch.Config{Store: st, Log: log})
	go hub.Run(ctx) // ends with ctx, and the watch streams with it, before shutdown waits on them
	svc := &usecase.Service{Store: st, Runtime: rt, ClusterHealth: clusterLoop.Health, Keys: keys, TokenTTL: cfg.TokenTTL, Now: time.Now,
		Wake: wake, Explain: ctrl.Explain, ArtifactPath: ops.ArtifactPath, Log: log, Watch: hub, SSH: sshAt, Activity: shells}
	if sshLn != nil {
		if err := startSSH(ctx, sshLn, svc, st, keys, log); err != nil {
			return err
		}
	}
	agg, err := newAggregation(cfg, ln.Addr())
	if err != nil {
		return err
	}
	frontProxy, err := agg.frontProxy(ctx)
	if err != nil {
		return err
	}
	kubeAPI, err := kubeapi.New(kubeapi.Config{Service: svc, ExternalAddress: ln.Addr().String(), NoteUser: httpapi.NoteUser, FrontProxy: frontProxy})
	if err != nil {
		return err
	}
	api := httpapi.New(svc, httpapi.Options{Log: log, Metrics: reg, MetricsHandler: reg.Handler(),
		MetricsAdminOnly: cfg.MetricsAdminOnly, Ready: readyChecks(st, ctrl), Kube: kubeAPI})
	served, caBundle, err := withTLS(ln, cfg.DataDir, agg.serving(), log)
	if err != nil {
		return err
	}
	if err := agg.register(ctx, svc, caBundle, log); err != nil {
		return err
	}
	logServing(log, ln.Addr(), keyFile, cfg.DataDir)
	return serve(ctx, served, api, ctrl, log)
}

// readyChecks are what /readyz asks: the store answers, and this server's control
// loops are running and know the leader (this server or another).
func readyChecks(st store.Store, ctrl *controller.Leader) []httpapi.ReadyCheck {
	return []httpapi.ReadyCheck{
		{Name: "store", Check: func(ctx context.Context) error {
			_, err := st.InventoryChange(ctx)
			return err
		}},
		{Name: "control loops", Check: func(context.Context) error { return ctrl.Ready() }},
	}
}

// superviseAfter is --supervise-after as the controller reads it: off is negative.
func superviseAfter(cfg Config) time.Duration {
	if cfg.SuperviseAfter <= 0 {
		return -1
	}
	return cfg.SuperviseAfter
}

// serve runs the API on ln and the control loops until ctx ends or the listener
// fails, then stops taking requests, lets the ones in flight finish, and stops the loops.
func serve(ctx context.Context, ln net.Listener, api http.Handler, ctrl *controller.Leader, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           tlssniff.WithState(api),
		ConnContext:       tlssniff.ConnContext,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	loopCtx, stopLoops := context.WithCancel(ctx)
	loopsDone := make(chan error, 1)
	go func() { loopsDone <- ctrl.Run(loopCtx) }()
	serveDone := make(chan error, 1)
	go func() { serveDone <- srv.Serve(ln) }()

	var err error
	select {
	case <-ctx.Done():
	case err = <-serveDone:
	}
	log.Info("berth shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	shutdownErr := srv.Shutdown(shutdownCtx)
	stopLoops()
	<-loopsDone
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return shutdownErr
}

// startConcurrency is how many workloads start at once: on Kubernetes a start is a
// few requests to the API server; the process runtime takes its starts one by one.
const startConcurrency = 16

// newSite is the cluster the server is started with: the kube runtime, standing for
// a cluster named after the kubeconfig's context, when a kubeconfig is given (with
// kubeCfg's instance, QPS and log); else the process runtime of the local cluster.
// Its new nodes join the default workspace.
func newSite(ctx context.Context, cfg Config, kubeCfg kube.Config) (clusters.Site, error) {
	if cfg.Kubeconfig == "" {
		rt, err := newProcessRuntime(cfg, kubeCfg.Log)
		return clusters.Site{Runtime: rt, Cluster: processCluster(), Joins: DefaultWorkspace}, err
	}
	name, err := kubeconfig.ContextName(cfg.Kubeconfig, cfg.KubeContext)
	if err != nil {
		return clusters.Site{}, err
	}
	kubeCfg.Kubeconfig, kubeCfg.Context = cfg.Kubeconfig, cfg.KubeContext
	rt, err := kube.New(ctx, kubeCfg)
	if err != nil {
		return clusters.Site{}, fmt.Errorf("kube runtime: %w", err)
	}
	return clusters.Site{Runtime: rt, Joins: DefaultWorkspace, Cluster: inventory.Cluster{ID: clusterID(name), Runtime: inventory.RuntimeKube,
		Description: "Kubernetes cluster of context " + name + " in " + cfg.Kubeconfig}}, nil
}

// clusterID turns a kubeconfig context name into a cluster id that can begin a
// namespace name: a DNS label, with a hash of the name when it had to change it
// ("kubernetes-admin@kubernetes" becomes "kubernetes-admin-kubernetes-1d2c3b").
func clusterID(context string) string {
	id := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, strings.ToLower(context))
	if id == context && len(id) <= 40 && len(validation.IsDNS1123Label(id)) == 0 {
		return id
	}
	sum := sha256.Sum256([]byte(context))
	id = strings.Trim(id, "-")
	if len(id) > 33 {
		id = strings.TrimRight(id[:33], "-")
	}
	return id + "-" + hex.EncodeToString(sum[:3])
}

// newProcessRuntime runs pods on this host, as virtual nodes when --nodes is set.
func newProcessRuntime(cfg Config, log *slog.Logger) (*process.Runtime, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	nodes, err := processNodes(cfg)
	if err != nil {
		return nil, err
	}
	sandbox, refusal, err := processSandbox(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := processImages(cfg, sandbox, log); err != nil {
		return nil, err
	}
	grace, err := time.ParseDuration(cfg.StopGrace)
	if err != nil {
		return nil, fmt.Errorf("--stop-grace: %w", err)
	}
	shim := shimCommand(exe, log)
	return process.New(process.Config{
		StopGrace:   grace,
		DataDir:     cfg.DataDir,
		Nodes:       nodes,
		ShimCommand: shim,
		Slots:       cfg.PodSlots,
		SlotCommand: []string{shim[0], process.SlotArg},
		Sandbox:     sandbox,
		Refusal:     refusal,
	})
}
