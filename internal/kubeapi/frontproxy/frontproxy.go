// Package frontproxy authenticates the requests a Kubernetes API server proxies to
// Berth's aggregated API: the user is named in X-Remote-User and X-Remote-Group,
// which are trusted only on a connection whose client certificate the cluster's
// front-proxy CA signed for one of its allowed names. The CA, the allowed names and
// the header names are the cluster's own, read (and followed) from
// kube-system/extension-apiserver-authentication as every aggregated API server
// reads them.
package frontproxy

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	"k8s.io/apiserver/pkg/authentication/authenticator"
	"k8s.io/apiserver/pkg/authentication/request/headerrequest"
	"k8s.io/apiserver/pkg/server/dynamiccertificates"
	"k8s.io/client-go/kubernetes"
)

// The ConfigMap kube-apiserver publishes its front-proxy settings in.
const (
	configMapNamespace = "kube-system"
	configMapName      = "extension-apiserver-authentication"
)

// caWait is how long New waits to read the front proxy's CA.
const caWait = 30 * time.Second

// New is the authenticator of requests the cluster of client proxies, kept up to
// date with the cluster's ConfigMap until ctx ends. A request without a client
// certificate is not authenticated by it; one whose certificate the front-proxy CA
// did not sign, or signed for a name not allowed, is an error.
func New(ctx context.Context, client kubernetes.Interface) (authenticator.Request, error) {
	ca, err := dynamiccertificates.NewDynamicCAFromConfigMapController("front-proxy-ca",
		configMapNamespace, configMapName, "requestheader-client-ca-file", client)
	if err != nil {
		return nil, fmt.Errorf("front proxy ca: %w", err)
	}
	headers := headerrequest.NewRequestHeaderAuthRequestController(configMapName, configMapNamespace, client,
		"requestheader-username-headers", "requestheader-uid-headers", "requestheader-group-headers",
		"requestheader-extra-headers-prefix", "requestheader-allowed-names")
	if err := headers.RunOnce(ctx); err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", configMapNamespace, configMapName, err)
	}
	go ca.Run(ctx, 1)
	go headers.Run(ctx, 1)
	// The CA comes through the controller's informer: wait for its first sync.
	hasCA := func(context.Context) (bool, error) { return len(ca.CurrentCABundleContent()) > 0, nil }
	if err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, caWait, true, hasCA); err != nil {
		return nil, fmt.Errorf("%s/%s has no requestheader-client-ca-file after %s: the API server runs without a front proxy (--requestheader-client-ca-file): %w",
			configMapNamespace, configMapName, caWait, err)
	}
	return headerrequest.NewDynamicVerifyOptionsSecure(ca.VerifyOptions,
		headerrequest.StringSliceProviderFunc(headers.AllowedClientNames),
		headerrequest.StringSliceProviderFunc(headers.UsernameHeaders),
		headerrequest.StringSliceProviderFunc(headers.UIDHeaders),
		headerrequest.StringSliceProviderFunc(headers.GroupHeaders),
		headerrequest.StringSliceProviderFunc(headers.ExtraHeaderPrefixes)), nil
}
