package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/cli/output"
)

// versions is what `berth version -o json|yaml` prints.
type versions struct {
	Client apiv1.Version  `json:"client"`
	Server *apiv1.Version `json:"server,omitempty"`
}

func (a *app) versionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the client's version and the server's",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, err := output.ParseFormat(format)
			if err != nil {
				return err
			}
			v := versions{Client: a.opts.Version}
			c, err := a.client()
			if err == nil {
				v.Server, err = c.ServerVersion(cmd.Context())
			}
			w := cmd.OutOrStdout()
			switch f {
			case output.JSON:
				_ = output.WriteJSON(w, v)
			case output.YAML:
				_ = output.WriteYAML(w, v)
			default:
				fmt.Fprintf(w, "Client: %s\n", versionLine(v.Client))
				if v.Server != nil {
					fmt.Fprintf(w, "Server: %s\n", versionLine(*v.Server))
				}
			}
			return err
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "", "json or yaml")
	return cmd
}

// versionLine is a version on one line: "devel (commit abc123, go1.26.8)".
func versionLine(v apiv1.Version) string {
	commit := v.Commit
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("%s (commit %s, %s)", v.Version, commit, v.GoVersion)
}
