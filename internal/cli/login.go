package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/cli/config"
	"github.com/berth-dev/berth/internal/cli/output"
)

// loginFlags are the flags of `berth login`.
type loginFlags struct {
	server, user, token, workspace string
	passwordStdin                  bool
}

func (a *app) loginCommand() *cobra.Command {
	var f loginFlags
	cmd := &cobra.Command{
		Use:   "login --server URL (--user NAME [--password-stdin] | --token KEY)",
		Short: "Sign in to a Berth server and keep it as the current context",
		Long: "Sign in with a user name and password (prompted, or read from stdin with --password-stdin)\n" +
			"or with an API key, and store the server and token in the config file (mode 0600) as a\n" +
			"context named by --context (default user@host, or host). BERTH_SERVER and BERTH_TOKEN\n" +
			"override the current context.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.login(cmd, f) },
	}
	cmd.Flags().StringVar(&f.server, "server", "", "the server's URL, e.g. http://127.0.0.1:8088")
	cmd.Flags().StringVar(&f.user, "user", "", "the user name to sign in as")
	cmd.Flags().StringVar(&f.token, "token", "", "an API key to use instead of a user and password")
	cmd.Flags().BoolVar(&f.passwordStdin, "password-stdin", false, "read the password from stdin")
	cmd.Flags().StringVarP(&f.workspace, "workspace", "w", "", "the workspace get and run use when not told")
	_ = cmd.MarkFlagRequired("server")
	cmd.MarkFlagsMutuallyExclusive("user", "token")
	cmd.MarkFlagsMutuallyExclusive("token", "password-stdin")
	cmd.MarkFlagsOneRequired("user", "token")
	return cmd
}

func (a *app) login(cmd *cobra.Command, f loginFlags) error {
	u, err := url.Parse(f.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--server %q: must be an http:// or https:// URL with a host", f.server)
	}
	c := config.Context{Name: a.contextName, Server: strings.TrimRight(f.server, "/"), User: f.user,
		Token: f.token, Workspace: f.workspace}
	if c.Name == "" {
		c.Name = contextName(f.user, u.Host)
	}
	if err := a.signIn(cmd, &c, f.passwordStdin); err != nil {
		return err
	}
	file, path, err := a.load()
	if err != nil {
		return err
	}
	file.Set(c)
	if err := file.Save(path); err != nil {
		return err
	}
	fmt.Fprintf(cmd.OutOrStdout(), "Logged in to %s; context %q is current.\n", c.Server, c.Name)
	return nil
}

// contextName is the default name of a new context: user@host, or host.
func contextName(user, host string) string {
	if user == "" {
		return host
	}
	return user + "@" + host
}

// signIn fills c.Token: a password login for c.User, else a check that the token
// given is accepted.
func (a *app) signIn(cmd *cobra.Command, c *config.Context, passwordStdin bool) error {
	ctx := cmd.Context()
	if c.User == "" {
		_, err := client.New(c.Server, c.Token).ListUsers(ctx, url.Values{"limit": {"1"}})
		if err != nil {
			return fmt.Errorf("check the token: %w", err)
		}
		return nil
	}
	password, err := readPassword(cmd, passwordStdin)
	if err != nil {
		return err
	}
	resp, err := client.New(c.Server, "").Login(ctx, c.User, password)
	if err != nil {
		return err
	}
	c.Token = resp.Token
	return nil
}

// readPassword reads the password's first line from stdin, or prompts for it on
// the terminal without echo.
func readPassword(cmd *cobra.Command, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		if line = strings.TrimRight(line, "\r\n"); line == "" {
			return "", errors.New("--password-stdin: stdin holds no password")
		}
		return line, nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("--user: no terminal to ask for the password on: give it with --password-stdin")
	}
	fmt.Fprint(cmd.ErrOrStderr(), "Password: ")
	raw, err := term.ReadPassword(fd)
	fmt.Fprintln(cmd.ErrOrStderr())
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return string(raw), nil
}

func (a *app) configCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Show and choose the contexts of the config file"}
	cmd.AddCommand(&cobra.Command{
		Use:   "get-contexts",
		Short: "List the contexts (never their tokens)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, _, err := a.load()
			if err != nil {
				return err
			}
			return output.WriteTable(cmd.OutOrStdout(), contextColumns(f.CurrentContext), f.Contexts, false)
		},
	}, &cobra.Command{
		Use:   "use-context NAME",
		Short: "Make a context the current one",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, path, err := a.load()
			if err != nil {
				return err
			}
			if err := f.Use(args[0]); err != nil {
				return err
			}
			if err := f.Save(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Switched to context %q.\n", args[0])
			return nil
		},
	}, &cobra.Command{
		Use:   "set-workspace WORKSPACE",
		Short: "Set the workspace get and run use when not told, in the current context",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, path, err := a.load()
			if err != nil {
				return err
			}
			if err := f.SetWorkspace(args[0]); err != nil {
				return err
			}
			if err := f.Save(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Context %q uses workspace %q.\n", f.CurrentContext, args[0])
			return nil
		},
	}, &cobra.Command{
		Use:   "current-context",
		Short: "Print the current context's name",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f, _, err := a.load()
			if err != nil {
				return err
			}
			if f.CurrentContext == "" {
				return config.ErrNoContext
			}
			fmt.Fprintln(cmd.OutOrStdout(), f.CurrentContext)
			return nil
		},
	})
	return cmd
}

// contextColumns are the columns of get-contexts; current marks the current one.
func contextColumns(current string) []output.Column[config.Context] {
	return []output.Column[config.Context]{
		{Header: "CURRENT", Value: func(c config.Context) string {
			if c.Name == current {
				return "*"
			}
			return " "
		}},
		{Header: "NAME", Value: func(c config.Context) string { return c.Name }},
		{Header: "SERVER", Value: func(c config.Context) string { return c.Server }},
		{Header: "USER", Value: func(c config.Context) string { return c.User }},
		{Header: "WORKSPACE", Value: func(c config.Context) string { return c.Workspace }},
	}
}
