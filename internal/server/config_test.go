package server

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// parse is `berth serve ARGS` up to the settings: the flags, then the environment
// and the file.
func parse(t *testing.T, args ...string) (Config, error) {
	t.Helper()
	var cfg Config
	var configPath string
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fs.StringVar(&configPath, "config", "", "")
	cfg.bindFlags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("parse %v: %v", args, err)
	}
	return cfg, applyEnvAndFile(fs, configPath)
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "berth.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Precedence: flag over environment over file over default. (Not parallel: it
// sets the environment.)
func TestConfigPrecedence(t *testing.T) {
	file := writeConfig(t, "nodes: 3\nlisten: 127.0.0.1:1\ndata-dir: /from/file\ntoken-ttl: 12h\nunsafe-no-sandbox: true\n")
	t.Setenv("BERTH_NODES", "2")
	t.Setenv("BERTH_LISTEN", "127.0.0.1:2")
	cfg, err := parse(t, "--config", file, "--nodes", "1")
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Nodes                      int
		Listen, DataDir, StopGrace string
		TokenTTL                   time.Duration
		UnsafeNoSandbox            bool
	}{cfg.Nodes, cfg.Listen, cfg.DataDir, cfg.StopGrace, cfg.TokenTTL, cfg.UnsafeNoSandbox}
	want := got
	want.Nodes, want.Listen, want.DataDir = 1, "127.0.0.1:2", "/from/file" // flag, env, file
	want.StopGrace, want.TokenTTL, want.UnsafeNoSandbox = DefaultStopGrace, 12*time.Hour, true
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings (-want +got):\n%s", diff)
	}
}

func TestConfigFileFromEnvironment(t *testing.T) {
	t.Setenv("BERTH_CONFIG", writeConfig(t, "log-format: json\n"))
	cfg, err := parse(t)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.LogFormat != LogFormatJSON {
		t.Errorf("log format %q, want json from the file BERTH_CONFIG names", cfg.LogFormat)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	for _, tc := range []struct {
		name, yaml, env, value, want string
	}{
		{name: "unknown key", yaml: "data_dir: /x\n", want: `unknown setting "data_dir"`},
		{name: "bad file value", yaml: "nodes: many\n", want: "nodes"},
		{name: "bad environment value", env: "BERTH_TOKEN_TTL", value: "soon", want: "BERTH_TOKEN_TTL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{}
			if tc.yaml != "" {
				args = append(args, "--config", writeConfig(t, tc.yaml))
			}
			if tc.env != "" {
				t.Setenv(tc.env, tc.value)
			}
			_, err := parse(t, args...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %s", err, tc.want)
			}
		})
	}
}

// TestReadmeListsEveryFlag: the README's configuration table is the one list of the
// settings: every flag of `berth serve` has a row naming it and its environment
// variable, and every flag a row names exists.
func TestReadmeListsEveryFlag(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	table := readmeTable(t, string(raw))
	flags := map[string]bool{}
	ServeCommand().Flags().VisitAll(func(f *pflag.Flag) { flags[f.Name] = true })
	for name := range flags {
		env, ok := table[name]
		if !ok {
			t.Errorf("--%s is missing from the README's configuration table", name)
		} else if env != envName(name) {
			t.Errorf("the README gives --%s the environment variable %q, want %s", name, env, envName(name))
		}
	}
	for name := range table {
		if !flags[name] {
			t.Errorf("the README's configuration table names --%s, which berth serve does not have", name)
		}
	}
}

// readmeTable maps each flag of the table under "## Configuration" to the
// environment variable its row names beside it.
func readmeTable(t *testing.T, readme string) map[string]string {
	t.Helper()
	_, section, ok := strings.Cut(readme, "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no ## Configuration section")
	}
	flagRe, envRe := regexp.MustCompile("`--([a-z0-9-]+)`"), regexp.MustCompile("`(BERTH_[A-Z0-9_]+)`")
	table := map[string]string{}
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "#") {
			break
		}
		cells := strings.Split(line, "|") // "", flag, environment, default, meaning, ""
		if !strings.HasPrefix(line, "| `--") || len(cells) < 5 {
			continue
		}
		names, envs := flagRe.FindAllStringSubmatch(cells[1], -1), envRe.FindAllStringSubmatch(cells[2], -1)
		if len(names) != len(envs) {
			t.Errorf("README row %q names %d flags and %d environment variables", cells[1], len(names), len(envs))
			continue
		}
		for i, n := range names {
			table[n[1]] = envs[i][1]
		}
	}
	if len(table) < 10 {
		t.Fatalf("found only %d flags in the README's configuration table", len(table))
	}
	return table
}
