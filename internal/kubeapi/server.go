package kubeapi

import (
	"fmt"
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apiserver/pkg/authentication/authenticator"
	apiopenapi "k8s.io/apiserver/pkg/endpoints/openapi"
	genericapiserver "k8s.io/apiserver/pkg/server"
	restclient "k8s.io/client-go/rest"
	"k8s.io/component-base/compatibility"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/berth-dev/berth/internal/buildinfo"
	"github.com/berth-dev/berth/internal/kubeapi/openapi"
	"github.com/berth-dev/berth/internal/usecase"
)

// Paths are the patterns of Berth's mux that Handler serves: discovery, OpenAPI
// v3, the served groups, and of the core group only its discovery and Events. None
// is one of Berth's own routes (/api/v1/... is Berth's REST API otherwise).
var Paths = []string{
	"GET " + legacyPrefix + "",
	"GET " + legacyPrefix + "/v1",
	legacyPrefix + "/v1/namespaces/{namespace}/events",
	legacyPrefix + "/v1/namespaces/{namespace}/events/{name}",
	legacyPrefix + "/v1/events",
	groupPrefix,
	groupPrefix + "/",
	"/openapi/v2",
	"/openapi/v3",
	"/openapi/v3/",
}

// Config is what the Kubernetes API needs of the server.
type Config struct {
	Service *usecase.Service
	// ExternalAddress is the host:port clients reach the server at, which
	// discovery shows.
	ExternalAddress string
	// NoteUser, when set, is told who each request authenticated as, for the
	// request's log line (httpapi.NoteUser).
	NoteUser func(r *http.Request, userID string)
	// FrontProxy, when set, authenticates the requests a cluster's API server
	// proxies to Berth as an aggregated API (package frontproxy).
	FrontProxy authenticator.Request
}

// New builds the generic API server over Berth's use cases and returns its handler.
func New(cfg Config) (http.Handler, error) {
	scheme, err := newScheme()
	if err != nil {
		return nil, fmt.Errorf("kubernetes api scheme: %w", err)
	}
	codecs := serializer.NewCodecFactory(scheme)
	c := genericapiserver.NewConfig(codecs)
	c.EffectiveVersion = compatibility.NewEffectiveVersionFromString(buildinfo.KubernetesVersion(), "", "")
	c.ExternalAddress = cfg.ExternalAddress
	// Only post-start hooks use the loopback client, and Berth runs none: the
	// server is served through Berth's listener, never started on its own.
	c.LoopbackClientConfig = &restclient.Config{Host: cfg.ExternalAddress}
	c.Authentication.Authenticator = authn{svc: cfg.Service, note: cfg.NoteUser, proxy: cfg.FrontProxy}
	c.Authorization.Authorizer = authz
	namer := apiopenapi.NewDefinitionNamer(scheme)
	// v3 for clients; v2 too, which kubectl apply reads to send strategic merge
	// patches. The core group serves Events for kubectl describe alone; their schema
	// is Kubernetes' own, which Berth does not carry.
	c.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	c.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	for _, info := range []*spec.Info{c.OpenAPIV3Config.Info, c.OpenAPIConfig.Info} {
		info.Title, info.Version = "Berth", buildinfo.Read().Version
	}
	c.OpenAPIV3Config.IgnorePrefixes = []string{legacyPrefix + "/"}
	c.OpenAPIConfig.IgnorePrefixes = []string{legacyPrefix + "/"}
	c.EnableIndex, c.EnableProfiling, c.EnableMetrics = false, false, false
	s, err := c.Complete(nil).New("berth", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, fmt.Errorf("kubernetes api server: %w", err)
	}
	for _, g := range servedGroups(cfg.Service) {
		if err := install(s, scheme, codecs, g); err != nil {
			return nil, err
		}
	}
	s.PrepareRun()
	return s.Handler, nil
}

// install serves group g.
func install(s *genericapiserver.GenericAPIServer, scheme *runtime.Scheme, codecs serializer.CodecFactory, g group) error {
	info := genericapiserver.NewDefaultAPIGroupInfo(g.version.Group, scheme, metav1.ParameterCodec, codecs)
	info.VersionedResourcesStorageMap[g.version.Version] = g.storages
	var err error
	if g.prefix == legacyPrefix {
		err = s.InstallLegacyAPIGroup(legacyPrefix, &info)
	} else {
		err = s.InstallAPIGroup(&info)
	}
	if err != nil {
		return fmt.Errorf("install api group %s: %w", g.version, err)
	}
	return nil
}
