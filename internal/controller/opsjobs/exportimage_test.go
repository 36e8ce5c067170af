package opsjobs

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/opsjob"
)

func TestExportTarget(t *testing.T) {
	t.Parallel()
	cases := []struct{ image, want string }{
		{"ubuntu", "reg.io/custom/library/ubuntu:202601021504"},
		{"ubuntu:22.04", "reg.io/custom/library/ubuntu:202601021504"},
		{"Team/App:v1", "reg.io/custom/team/app:202601021504"},
		{"harbor.example.com:5000/proj/sub/trainer@sha256:abc", "reg.io/custom/sub/trainer:202601021504"},
	}
	for _, c := range cases {
		if got := ExportTarget("https://reg.io/", c.image, "202601021504"); got != c.want {
			t.Errorf("ExportTarget(%q) = %q, want %q", c.image, got, c.want)
		}
	}
}

// basicAuth lets through only requests with the user and password.
func basicAuth(h http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestExportImageCopiesToRegistry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(basicAuth(registry.New(), "robot", "s3cret"))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	creds := remote.WithAuth(&authn.Basic{Username: "robot", Password: "s3cret"})
	img, err := random.Image(2048, 2)
	if err != nil {
		t.Fatal(err)
	}
	src := host + "/team/app:v1"
	ref, err := name.ParseReference(src, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, creds); err != nil {
		t.Fatal(err)
	}
	keys, err := auth.NewKeys(randomBytes(t, 32))
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, 1, func(c *Config) {
		c.Registry, c.RegistrySecretID, c.Open = host, "reg-cred", keys.Open
	})
	putImageSecret(t, e, keys, host)
	wid := e.submit("trainer", "true", func(s *apiv1.WorkloadSpec) { s.Image = src })
	before := time.Now().UTC()
	j := e.waitEnded(e.insertJob(apiv1.OpsJobExportImage, func(j *opsjob.Job) {
		j.Inputs = []apiv1.Parameter{{Name: apiv1.InputWorkload, Value: wid}}
	}))
	out := map[string]string{}
	for _, o := range j.Status.Outputs {
		out[o.Name] = o.Value
	}
	if j.Status.Phase != apiv1.OpsJobSucceeded || out["status"] != "Completed" || out["message"] != "Image exported successfully" {
		t.Fatalf("job = %s, outputs %v", describe(j, nil), out)
	}
	pattern := "^" + regexp.QuoteMeta(host+"/custom/team/app:") + `(\d{12})$`
	m := regexp.MustCompile(pattern).FindStringSubmatch(out["target"])
	if m == nil || (m[1] != before.Format(exportTagLayout) && m[1] != time.Now().UTC().Format(exportTagLayout)) {
		t.Fatalf("target = %q, want %s with the minute of the export", out["target"], pattern)
	}
	dst, err := name.ParseReference(out["target"], name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(dst, creds)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if desc.Digest != want {
		t.Errorf("exported manifest digest = %s, want %s", desc.Digest, want)
	}
}

func putImageSecret(t *testing.T, e *env, keys *auth.Keys, server string) {
	t.Helper()
	plain, _ := json.Marshal([]map[string][]byte{{"server": []byte("http://" + server), "username": []byte("robot"), "password": []byte("s3cret")}})
	sealed, err := keys.Seal(plain)
	if err != nil {
		t.Fatal(err)
	}
	sec := &inventory.Secret{ID: "reg-cred", Type: apiv1.SecretTypeImage, Keys: []string{"server", "username", "password"}, Sealed: sealed}
	if err := e.store.SecretInsert(t.Context(), sec); err != nil {
		t.Fatal(err)
	}
}

func TestExportImageWithoutRegistryFails(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, nil)
	wid := e.submit("trainer", "true", nil)
	j := e.waitEnded(e.insertJob(apiv1.OpsJobExportImage, func(j *opsjob.Job) {
		j.Inputs = []apiv1.Parameter{{Name: apiv1.InputWorkloadID, Value: wid}}
	}))
	if j.Status.Phase != apiv1.OpsJobFailed || !strings.Contains(condMessage(j), "--registry") {
		t.Fatalf("job = %s", describe(j, nil))
	}
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
