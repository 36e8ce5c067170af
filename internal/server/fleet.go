package server

import (
	"context"
	"log/slog"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/controller/clusters"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/runtime/fleet"
	"github.com/berth-dev/berth/internal/runtime/kube"
	"github.com/berth-dev/berth/internal/store"
)

// newFleet returns the runtime the other loops drive (one over the primary site and
// the clusters added through the API) and the clusters loop, which keeps that fleet
// and the stored nodes in step with the store. Added clusters get kube runtimes with
// kubeCfg's instance, QPS and log.
func newFleet(st store.Store, keys *auth.Keys, primary clusters.Site, kubeCfg kube.Config, log *slog.Logger) (*fleet.Fleet, *clusters.Manager) {
	f := fleet.New()
	m := clusters.New(clusters.Config{Store: st, Keys: keys, Fleet: f, Primary: primary,
		Connect: connectKube(kubeCfg), Log: log})
	return f, m
}

// connectKube starts the kube runtime of an added cluster.
func connectKube(kubeCfg kube.Config) func(context.Context, []byte) (runtime.Runtime, error) {
	return func(ctx context.Context, kubeconfig []byte) (runtime.Runtime, error) {
		cfg := kubeCfg
		cfg.KubeconfigData = kubeconfig
		rt, err := kube.New(ctx, cfg)
		if err != nil {
			return nil, err
		}
		return rt, nil
	}
}
