package server

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"k8s.io/klog/v2"
)

// configEnv names the config file when --config is not given.
const configEnv = "BERTH_CONFIG"

// ServeCommand is `berth serve`.
func ServeCommand() *cobra.Command {
	var cfg Config
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Berth server (API and control loops)",
		Long: `Run the Berth server. Every flag can also be set by the environment variable
BERTH_<FLAG> (e.g. BERTH_DATA_DIR) or in the YAML file given with --config (or
BERTH_CONFIG). A flag wins over the environment, which wins over the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnvAndFile(cmd.Flags(), configPath); err != nil {
				return err
			}
			log, err := newLogger(os.Stderr, cfg.LogLevel, cfg.LogFormat)
			if err != nil {
				return err
			}
			slog.SetDefault(log)
			// The Kubernetes libraries (the Kubernetes API's generic server, client-go)
			// log through klog: into the same records, format and level.
			klog.SetSlogLogger(log)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return Run(ctx, cfg, log)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML file with settings (keys are flag names)")
	cfg.bindFlags(cmd.Flags())
	return cmd
}
