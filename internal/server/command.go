package server

import (
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// ServeCommand is `berth serve`.
func ServeCommand() *cobra.Command {
	var cfg Config
	var configPath string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Berth server (API and control loops)",
		Long: `Run the Berth server. Every flag can also be set by the environment variable
BERTH_<FLAG> (e.g. BERTH_DATA_DIR) or in the YAML file given with --config.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnvAndFile(cmd.Flags(), configPath); err != nil {
				return err
			}
			log, err := newLogger(cfg.LogLevel)
			if err != nil {
				return err
			}
			slog.SetDefault(log)
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return Run(ctx, cfg, log)
		},
	}
	cmd.Flags().StringVar(&configPath, "config", "", "YAML file with settings (keys are flag names)")
	cfg.bindFlags(cmd.Flags())
	return cmd
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}
