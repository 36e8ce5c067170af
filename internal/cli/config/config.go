// Package config keeps the berth CLI's contexts: which servers it knows, the token
// for each, and which one is current, in a YAML file readable by its owner only
// (~/.config/berth/config.yaml, or $XDG_CONFIG_HOME/berth/config.yaml), like
// kubectl's kubeconfig. BERTH_SERVER and BERTH_TOKEN override the current context.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Environment variables that override the file.
const (
	EnvServer = "BERTH_SERVER"
	EnvToken  = "BERTH_TOKEN"
)

// fileMode keeps tokens from other users of the machine.
const fileMode = 0o600

// Context is one server and the credentials the CLI uses there.
type Context struct {
	Name   string `yaml:"name"`
	Server string `yaml:"server"`
	// User is the name the token was obtained for ("" for an API key given as such).
	User  string `yaml:"user,omitempty"`
	Token string `yaml:"token"`
	// Workspace is the workspace get and run use when not told (as kubectl's
	// namespace): members may list only the workspaces they belong to.
	Workspace string `yaml:"workspace,omitempty"`
}

// File is the CLI's configuration file.
type File struct {
	CurrentContext string    `yaml:"current-context"`
	Contexts       []Context `yaml:"contexts"`
}

// ErrNoContext is returned when no context is chosen and no server is named by the
// environment.
var ErrNoContext = errors.New("no server configured: run `berth login --server URL` or set " + EnvServer)

// DefaultPath is where the file lives: $XDG_CONFIG_HOME/berth/config.yaml, else
// ~/.config/berth/config.yaml.
func DefaultPath() (string, error) {
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		return filepath.Join(dir, "berth", "config.yaml"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the config file: %w", err)
	}
	return filepath.Join(home, ".config", "berth", "config.yaml"), nil
}

// Load reads the file at path; a file that does not exist is an empty File.
func Load(path string) (*File, error) {
	raw, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	var f File
	if err := yaml.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("read config %s: %w", path, err)
	}
	return &f, nil
}

// Save writes f to path with mode 0600, creating its directory (0700), by way of a
// temporary file so that a reader never sees half a file.
func (f *File) Save(path string) error {
	raw, err := yaml.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode config: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.yaml")
	if err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(raw); err != nil {
		tmp.Close()
		return fmt.Errorf("save config: %w", err)
	}
	if err := tmp.Chmod(fileMode); err != nil {
		tmp.Close()
		return fmt.Errorf("save config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("save config: %w", err)
	}
	return nil
}

// Set adds c, or replaces the context of the same name, and makes it current.
func (f *File) Set(c Context) {
	i := slices.IndexFunc(f.Contexts, func(x Context) bool { return x.Name == c.Name })
	if i < 0 {
		f.Contexts = append(f.Contexts, c)
	} else {
		f.Contexts[i] = c
	}
	f.CurrentContext = c.Name
}

// SetWorkspace makes ws the default workspace of the current context.
func (f *File) SetWorkspace(ws string) error {
	i := slices.IndexFunc(f.Contexts, func(x Context) bool { return x.Name == f.CurrentContext })
	if i < 0 {
		return ErrNoContext
	}
	f.Contexts[i].Workspace = ws
	return nil
}

// Use makes the context name current.
func (f *File) Use(name string) error {
	if _, ok := f.find(name); !ok {
		return fmt.Errorf("no context named %q: `berth config get-contexts` lists them", name)
	}
	f.CurrentContext = name
	return nil
}

func (f *File) find(name string) (Context, bool) {
	i := slices.IndexFunc(f.Contexts, func(x Context) bool { return x.Name == name })
	if i < 0 {
		return Context{}, false
	}
	return f.Contexts[i], true
}

// Resolve returns the context to use: the one named (""; the current one), with
// the server and token of the environment (getenv) overriding it. With neither a
// context nor BERTH_SERVER it returns ErrNoContext.
func (f *File) Resolve(name string, getenv func(string) string) (Context, error) {
	if name == "" {
		name = f.CurrentContext
	}
	c, ok := f.find(name)
	if !ok && name != "" && name != f.CurrentContext {
		return Context{}, fmt.Errorf("no context named %q: `berth config get-contexts` lists them", name)
	}
	if s := getenv(EnvServer); s != "" {
		c.Server = s
	}
	if t := getenv(EnvToken); t != "" {
		c.Token = t
	}
	if c.Server == "" {
		return Context{}, ErrNoContext
	}
	return c, nil
}
