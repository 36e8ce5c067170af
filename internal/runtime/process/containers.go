package process

import (
	"fmt"
	"maps"
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/runtime"
	"github.com/berth-dev/berth/internal/workload"
)

// A pod's sidecars run beside its command, as further processes of the same pod:
// in its sandbox (the same mount, PID and network namespaces, so localhost reaches
// the main container and the working directory, /tmp, /dev/shm, home and secrets are
// the same), as its uid, in its cgroup (the pod's limits bound all its containers
// together). Each writes a log of its own, log.<name>. Whoever starts the command
// starts them (the shim, the shim as PID 1, or pod-init): they end with the pod's
// run. When the main container ends, the sidecars get SIGTERM and, after
// sidecarStopGrace, SIGKILL; a sidecar that ends with 0 before then is done, one that
// fails ends the pod's run as a failure (the shim restarts a service's pod).

// podContainer is one sidecar of a pod: its name, command and env.
type podContainer struct {
	Name    string            `json:"name"`
	Command string            `json:"command"`
	Env     map[string]string `json:"env"`
}

// sidecarLogFile is the log of the pod's sidecar of that name.
func sidecarLogFile(name string) string { return logFile + "." + name }

// checkSidecars refuses sidecars a runtime that runs pods in images cannot run: it
// runs every container of a pod in one image, the main container's.
func (r *Runtime) checkSidecars(req runtime.StartRequest) error {
	if !r.pullsImages() {
		return nil
	}
	for _, sc := range req.Spec.Sidecars {
		if sc.Image != req.Spec.Image {
			return fmt.Errorf("%w: sidecar %s: its image %s is not the workload's, %s: this runtime runs every container of a pod in one image",
				runtime.ErrRejected, sc.Name, sc.Image, req.Spec.Image)
		}
	}
	return nil
}

// addContainers completes the spec of a pod of req: the main container's variables
// from secrets, and its sidecars, each with the pod's platform env (not the main
// container's own), its own env and its variables from secrets.
func addContainers(spec *podSpec, req runtime.StartRequest) error {
	keys := generalSecrets(req.Secrets)
	vars, err := secretVars(req.Spec.SecretEnv, keys)
	if err != nil {
		return err
	}
	platform := maps.Clone(spec.Env)
	for k := range req.Spec.Env {
		delete(platform, k)
	}
	maps.Copy(spec.Env, vars)
	for _, sc := range req.Spec.Sidecars {
		vars, err := secretVars(sc.SecretEnv, keys)
		if err != nil {
			return fmt.Errorf("sidecar %s: %w", sc.Name, err)
		}
		env := maps.Clone(platform)
		maps.Copy(env, sc.Env)
		maps.Copy(env, vars)
		spec.Sidecars = append(spec.Sidecars, podContainer{Name: sc.Name,
			Command: workload.DecodeEntryPoint(sc.EntryPoint), Env: env})
	}
	return nil
}

// secretVars resolves variables from keys of the general secrets, by id.
func secretVars(refs []apiv1.SecretEnv, secrets map[string]map[string][]byte) (map[string]string, error) {
	out := make(map[string]string, len(refs))
	for _, r := range refs {
		v, ok := secrets[r.SecretID][r.Key]
		if !ok {
			return nil, fmt.Errorf("%w: variable %s: secret %s has no key %s (or is not one of the workload's general secrets)",
				runtime.ErrRejected, r.Name, r.SecretID, r.Key)
		}
		out[r.Name] = string(v)
	}
	return out, nil
}

// containerNames names the pod's containers, the main one first.
func containerNames(spec podSpec) []string {
	out := []string{workload.MainContainer(spec.Kind)}
	for _, sc := range spec.Sidecars {
		out = append(out, sc.Name)
	}
	return out
}

// containerLog is the log file of the named container of the pod ("" the main
// one); false when it has no such container.
func containerLog(spec podSpec, name string) (string, bool) {
	if name == "" || name == workload.MainContainer(spec.Kind) {
		return logFile, true
	}
	if slices.ContainsFunc(spec.Sidecars, func(c podContainer) bool { return c.Name == name }) {
		return sidecarLogFile(name), true
	}
	return "", false
}

// containerEnv is the env of the named container of the pod ("" the main one);
// false when it has no such container.
func containerEnv(spec podSpec, name string) (map[string]string, bool) {
	if name == "" || name == workload.MainContainer(spec.Kind) {
		return spec.Env, true
	}
	i := slices.IndexFunc(spec.Sidecars, func(c podContainer) bool { return c.Name == name })
	if i < 0 {
		return nil, false
	}
	return spec.Sidecars[i].Env, true
}
