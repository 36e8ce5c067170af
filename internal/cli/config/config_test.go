package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/cli/config"
)

func TestSaveLoadRoundTripWithMode0600(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "berth", "config.yaml")
	f, err := config.Load(path)
	if err != nil {
		t.Fatalf("load a missing file: %v", err)
	}
	f.Set(config.Context{Name: "lab", Server: "http://lab:8088", User: "alice", Token: "t1"})
	f.Set(config.Context{Name: "prod", Server: "https://prod", Token: "t2"})
	f.Set(config.Context{Name: "lab", Server: "http://lab:8088", User: "alice", Token: "t3"})
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("config mode %v, want 0600", st.Mode().Perm())
	}
	got, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := &config.File{CurrentContext: "lab", Contexts: []config.Context{
		{Name: "lab", Server: "http://lab:8088", User: "alice", Token: "t3"},
		{Name: "prod", Server: "https://prod", Token: "t2"},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("loaded config (-want +got):\n%s", diff)
	}
}

func TestLoadRejectsBadYAML(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("contexts: {not: [a list"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := config.Load(path); err == nil {
		t.Error("Load of broken YAML succeeded")
	}
}

func TestUse(t *testing.T) {
	t.Parallel()
	f := &config.File{}
	f.Set(config.Context{Name: "a", Server: "http://a"})
	f.Set(config.Context{Name: "b", Server: "http://b"})
	if err := f.Use("a"); err != nil || f.CurrentContext != "a" {
		t.Errorf("Use(a) = %v, current %q", err, f.CurrentContext)
	}
	if err := f.Use("nope"); err == nil || f.CurrentContext != "a" {
		t.Errorf("Use(nope) = %v, current %q; want an error and a unchanged", err, f.CurrentContext)
	}
	if err := f.SetWorkspace("team-a"); err != nil {
		t.Fatal(err)
	}
	want := []config.Context{{Name: "a", Server: "http://a", Workspace: "team-a"}, {Name: "b", Server: "http://b"}}
	if diff := cmp.Diff(want, f.Contexts); diff != "" {
		t.Errorf("after SetWorkspace (-want +got):\n%s", diff)
	}
	if err := (&config.File{}).SetWorkspace("x"); !errors.Is(err, config.ErrNoContext) {
		t.Errorf("SetWorkspace without a context = %v, want ErrNoContext", err)
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	f := &config.File{}
	f.Set(config.Context{Name: "a", Server: "http://a", Token: "ta"})
	f.Set(config.Context{Name: "b", Server: "http://b", Token: "tb"})
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	tests := []struct {
		name    string
		file    *config.File
		context string
		env     map[string]string
		want    config.Context
		wantErr bool
	}{
		{name: "current", file: f, want: config.Context{Name: "b", Server: "http://b", Token: "tb"}},
		{name: "named", file: f, context: "a", want: config.Context{Name: "a", Server: "http://a", Token: "ta"}},
		{name: "unknown name", file: f, context: "c", wantErr: true},
		{name: "env overrides", file: f, env: map[string]string{config.EnvServer: "http://e", config.EnvToken: "te"},
			want: config.Context{Name: "b", Server: "http://e", Token: "te"}},
		{name: "env alone", file: &config.File{}, env: map[string]string{config.EnvServer: "http://e"},
			want: config.Context{Server: "http://e"}},
		{name: "nothing", file: &config.File{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tt.file.Resolve(tt.context, env(tt.env))
			if tt.wantErr {
				if err == nil {
					t.Errorf("Resolve = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Resolve (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := (&config.File{}).Resolve("", env(nil)); !errors.Is(err, config.ErrNoContext) {
		t.Errorf("Resolve with nothing = %v, want ErrNoContext", err)
	}
}

func TestDefaultPathHonoursXDG(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", "/x/conf")
	got, err := config.DefaultPath()
	if err != nil || got != "/x/conf/berth/config.yaml" {
		t.Errorf("DefaultPath = %q, %v; want /x/conf/berth/config.yaml", got, err)
	}
	t.Setenv("XDG_CONFIG_HOME", "")
	t.Setenv("HOME", "/home/u")
	got, err = config.DefaultPath()
	if err != nil || got != "/home/u/.config/berth/config.yaml" {
		t.Errorf("DefaultPath = %q, %v; want /home/u/.config/berth/config.yaml", got, err)
	}
}
