package server

import (
	"log/slog"
	"path/filepath"

	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/controller/opsjobs"
	"github.com/berth-dev/berth/internal/executor"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/store"
)

// newOpsJobRunner builds the runner of ops jobs. Scripts reach process-runtime nodes
// on this host and registered machines over SSH; a Kubernetes node only when it is
// registered as such a machine.
func newOpsJobRunner(cfg Config, st store.Store, rt runtime.Runtime, keys *auth.Keys, log *slog.Logger) *opsjobs.Runner {
	return opsjobs.New(opsjobs.Config{
		Store: st, Runtime: rt, Executor: &executor.Dispatcher{},
		Targets:     &executor.Resolver{Store: st, Open: keys.Open, NoLocal: cfg.Kubeconfig != ""},
		Open:        keys.Open,
		ArtifactDir: filepath.Join(cfg.DataDir, "artifacts"),
		Registry:    cfg.Registry, RegistrySecretID: cfg.RegistrySecret,
		AllowHostReboot: cfg.AllowHostReboot, Log: log,
	})
}
