package opsjobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/opsjob"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// exportTagLayout is the tag of an exported image: the minute of the export.
const exportTagLayout = "200601021504"

// exportImage copies the workload's image to the configured registry as
// custom/<ns>/<repo>:<YYYYMMDDHHmm> (reference §6.6); a running dev machine's is
// committed with its pod's changes (commit.go).
func (r *Runner) exportImage(ctx context.Context, j *opsjob.Job) error {
	w, src, err := r.exportSource(ctx, j)
	if err == nil && r.cfg.Registry == "" {
		err = errors.New("no registry is configured for image export: start berth with --registry")
	}
	var target string
	switch {
	case err != nil:
	case committing(w):
		target = ExportTarget(r.cfg.Registry, src, r.now().Format(exportTagLayout))
		err = r.commitImage(ctx, w, src, target)
	default:
		target = ExportTarget(r.cfg.Registry, src, r.now().Format(exportTagLayout))
		err = r.copyImage(ctx, src, target)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		return r.complete(ctx, j.ID, apiv1.OpsJobFailed, err.Error(), []apiv1.Parameter{
			{Name: "status", Value: apiv1.OpsJobFailed}, {Name: "target", Value: target},
			{Name: "message", Value: err.Error()},
		})
	}
	const msg = "Image exported successfully"
	return r.complete(ctx, j.ID, apiv1.OpsJobSucceeded, msg, []apiv1.Parameter{
		{Name: "status", Value: "Completed"}, {Name: "target", Value: target}, {Name: "message", Value: msg},
	})
}

// exportSource is the job's workload and its image (the image input if the
// workload record has none).
func (r *Runner) exportSource(ctx context.Context, j *opsjob.Job) (*workload.Workload, string, error) {
	id := workloadInput(j)
	if id == "" {
		return nil, "", errors.New("workload ID is required in inputs")
	}
	w, err := r.cfg.Store.WorkloadGetAny(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, "", fmt.Errorf("the workload %s is not found", id)
	}
	if err != nil {
		return nil, "", err
	}
	if w.Spec.Image != "" {
		return w, w.Spec.Image, nil
	}
	if v := j.InputValues(apiv1.InputImage); len(v) > 0 && v[0] != "" {
		return w, v[0], nil
	}
	return nil, "", fmt.Errorf("the workload %s has no image", id)
}

// ExportTarget is where an image is exported: <registry>/custom/<ns>/<repo>:<tag>,
// lower-case, with ns/repo from the image's path less its tag or digest: one part is
// library/<part>, two parts are taken as they are, more give the last two.
func ExportTarget(registry, image, tag string) string {
	path := image
	if i := strings.Index(path, "@"); i >= 0 {
		path = path[:i]
	}
	if i := strings.LastIndex(path, ":"); i > strings.LastIndex(path, "/") {
		path = path[:i]
	}
	parts := strings.Split(path, "/")
	nsRepo := parts
	switch {
	case len(parts) == 1:
		nsRepo = []string{"library", parts[0]}
	case len(parts) > 2:
		nsRepo = parts[len(parts)-2:]
	}
	host := strings.TrimSuffix(trimScheme(registry), "/")
	return strings.ToLower(host + "/custom/" + strings.Join(nsRepo, "/") + ":" + tag)
}

// copyImage copies src (an image or an index) to dst with the registry secret's
// credentials. Registries on loopback are spoken to over plain HTTP.
func (r *Runner) copyImage(ctx context.Context, src, dst string) error {
	srcRef, dstRef, opts, err := r.refsAndOptions(ctx, src, dst)
	if err != nil {
		return err
	}
	desc, err := remote.Get(srcRef, opts...)
	if err != nil {
		return fmt.Errorf("failed to read the image %s: %w", src, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err == nil {
			err = remote.WriteIndex(dstRef, idx, opts...)
		}
		return wrapPush(dst, err)
	}
	img, err := desc.Image()
	if err == nil {
		err = remote.Write(dstRef, img, opts...)
	}
	return wrapPush(dst, err)
}

// refsAndOptions parses the source and target of an export and says how to reach
// their registries.
func (r *Runner) refsAndOptions(ctx context.Context, src, dst string) (srcRef, dstRef name.Reference, opts []remote.Option, err error) {
	kc, err := r.registryKeychain(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	if srcRef, err = parseRef(src); err != nil {
		return nil, nil, nil, fmt.Errorf("source image %s: %w", src, err)
	}
	if dstRef, err = parseRef(dst); err != nil {
		return nil, nil, nil, fmt.Errorf("target image %s: %w", dst, err)
	}
	return srcRef, dstRef, []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}, nil
}

func wrapPush(dst string, err error) error {
	if err != nil {
		return fmt.Errorf("failed to push the image %s: %w", dst, err)
	}
	return nil
}

func parseRef(s string) (name.Reference, error) {
	var opts []name.Option
	if ref, err := name.ParseReference(s); err == nil && loopback(ref.Context().RegistryStr()) {
		opts = append(opts, name.Insecure)
	}
	return name.ParseReference(s, opts...)
}

// loopback reports whether a registry host (host or host:port) is this machine.
func loopback(host string) bool {
	h, _, err := net.SplitHostPort(host)
	if err != nil {
		h = host
	}
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// registryKeychain answers with the registry secret's credentials for the servers it
// names, anonymously for any other.
func (r *Runner) registryKeychain(ctx context.Context) (authn.Keychain, error) {
	creds := map[string]authn.AuthConfig{}
	if r.cfg.RegistrySecretID != "" {
		sec, err := r.cfg.Store.SecretGet(ctx, r.cfg.RegistrySecretID)
		if err != nil {
			return nil, fmt.Errorf("registry secret %s: %w", r.cfg.RegistrySecretID, err)
		}
		if r.cfg.Open == nil {
			return nil, errors.New("no keys to open the registry secret")
		}
		plain, err := r.cfg.Open(sec.Sealed)
		if err != nil {
			return nil, fmt.Errorf("open the registry secret: %w", err)
		}
		var params []map[string][]byte
		if err := json.Unmarshal(plain, &params); err != nil {
			return nil, fmt.Errorf("registry secret %s: %w", r.cfg.RegistrySecretID, err)
		}
		for _, p := range params {
			server := strings.TrimSuffix(trimScheme(string(p["server"])), "/")
			creds[server] = authn.AuthConfig{Username: string(p["username"]), Password: string(p["password"])}
		}
	}
	return keychain(creds), nil
}

type keychain map[string]authn.AuthConfig

func (k keychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	if c, ok := k[res.RegistryStr()]; ok {
		return authn.FromConfig(c), nil
	}
	return authn.Anonymous, nil
}

func trimScheme(s string) string {
	return strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(s), "https://"), "http://")
}
