package cli

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/cli/config"
)

// Options are what the commands take from their surroundings.
type Options struct {
	// Version is this binary's build, which `berth version` shows.
	Version apiv1.Version
	// Getenv reads the environment (nil: os.Getenv).
	Getenv func(string) string
	// Now is the clock ages are counted from (nil: time.Now).
	Now func() time.Time
}

// app holds what every command shares: the options and the global flags.
type app struct {
	opts        Options
	configPath  string // --config; "" the default path
	contextName string // --context; "" the current one
}

// Commands returns berth's client commands, to add to the root command.
func Commands(opts Options) []*cobra.Command {
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	a := &app{opts: opts}
	cmds := []*cobra.Command{
		a.loginCommand(), a.configCommand(), a.getCommand(), a.describeCommand(),
		a.applyCommand(), a.runCommand(), a.logsCommand(), a.scaleCommand(),
		a.opsJobCommand(), a.versionCommand(), a.kubeconfigCommand(), a.setCommand(),
	}
	cmds = append(cmds, a.batchCommands()...)
	for _, c := range cmds {
		c.PersistentFlags().StringVar(&a.configPath, "config", "", "the CLI's config file (default $XDG_CONFIG_HOME/berth/config.yaml or ~/.config/berth/config.yaml)")
		c.PersistentFlags().StringVar(&a.contextName, "context", "", "the context to use (default: the current one)")
	}
	return cmds
}

// path is the config file's path.
func (a *app) path() (string, error) {
	if a.configPath != "" {
		return a.configPath, nil
	}
	return config.DefaultPath()
}

// load reads the config file.
func (a *app) load() (*config.File, string, error) {
	path, err := a.path()
	if err != nil {
		return nil, "", err
	}
	f, err := config.Load(path)
	return f, path, err
}

// client returns a client of the chosen context's server with its token.
func (a *app) client() (*client.Client, error) {
	c, _, err := a.connect()
	return c, err
}

// connect returns a client of the chosen context's server, and the context.
func (a *app) connect() (*client.Client, config.Context, error) {
	f, _, err := a.load()
	if err != nil {
		return nil, config.Context{}, err
	}
	c, err := f.Resolve(a.contextName, a.opts.Getenv)
	if err != nil {
		return nil, config.Context{}, err
	}
	return client.New(c.Server, c.Token), c, nil
}

// ErrorLine is err as the one line berth prints for it: an API error shows the
// server's code and message, with a hint when the credentials were refused.
func ErrorLine(err error) string {
	return strings.Join(strings.Fields(errorLine(err)), " ")
}

func errorLine(err error) string {
	apiErr, ok := client.AsAPIError(err)
	if !ok {
		return "error: " + err.Error()
	}
	line := fmt.Sprintf("error: %s: %s", apiErr.Code(), apiErr.Body.ErrorMessage)
	if apiErr.Code() == "" {
		line = fmt.Sprintf("error: HTTP %d: %s", apiErr.Status, apiErr.Body.ErrorMessage)
	}
	if apiErr.Status == http.StatusUnauthorized {
		line += " (run `berth login`)"
	}
	return line
}

// errSilent is returned by a command that has already said what went wrong (a
// batch that failed for some ids): main exits non-zero without another line.
var errSilent = errors.New("")

// IsSilent reports whether err has been reported already.
func IsSilent(err error) bool { return errors.Is(err, errSilent) }
