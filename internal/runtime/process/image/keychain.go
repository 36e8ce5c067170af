package image

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// Credential is one registry login of an image secret (its server, username and
// password params).
type Credential struct {
	Server   string `json:"server"`
	Username string `json:"username"`
	Password string `json:"password"`
}

// keychain answers a registry with the first credential whose server is that
// registry, and anonymously when none is.
type keychain []Credential

func (k keychain) Resolve(res authn.Resource) (authn.Authenticator, error) {
	want := registryHost(res.RegistryStr())
	for _, c := range k {
		if registryHost(c.Server) == want {
			return authn.FromConfig(authn.AuthConfig{Username: c.Username, Password: c.Password}), nil
		}
	}
	return authn.Anonymous, nil
}

// registryHost is the host[:port] a server names, written as users write it in
// image secrets ("https://index.docker.io/v1/", "docker.io", "registry.local:5000"),
// with Docker Hub's names as one.
func registryHost(server string) string {
	s := strings.ToLower(strings.TrimSpace(server))
	for _, scheme := range []string{"https://", "http://"} {
		s = strings.TrimPrefix(s, scheme)
	}
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "docker.io", "registry-1.docker.io", "index.docker.io":
		return name.DefaultRegistry
	}
	return s
}
