// Package kubeconfig reads the kubeconfigs Berth connects to clusters with: a file
// named on the command line, or the text of one added through the API, which must
// stand on its own (every server of an installation connects with it).
package kubeconfig

import (
	"errors"
	"fmt"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ErrInvalid wraps what is wrong with a kubeconfig's text.
var ErrInvalid = errors.New("invalid kubeconfig")

// Parse checks that data is a kubeconfig whose context (its current context when
// context is "") names a cluster and a user. It returns the context's name and the
// kubeconfig cut down to that context, with the files it names (certificates, keys)
// read into it.
func Parse(data []byte, context string) (flat []byte, name string, err error) {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if context == "" {
		context = cfg.CurrentContext
	}
	if context == "" {
		return nil, "", fmt.Errorf("%w: it has no current context: name one", ErrInvalid)
	}
	if _, ok := cfg.Contexts[context]; !ok {
		return nil, "", fmt.Errorf("%w: it has no context %q", ErrInvalid, context)
	}
	cfg.CurrentContext = context
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		return nil, "", fmt.Errorf("%w: it names a file that cannot be read: %w", ErrInvalid, err)
	}
	if _, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig(); err != nil {
		return nil, "", fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	flat, err = clientcmd.Write(*cfg)
	return flat, context, err
}

// RESTConfig is the client configuration of a kubeconfig's context ("": its current
// context).
func RESTConfig(data []byte, context string) (*rest.Config, error) {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	return clientcmd.NewDefaultClientConfig(*cfg, overrides).ClientConfig()
}

// ContextName is the context of the kubeconfig file at path that a client uses:
// context, or else the file's current context.
func ContextName(path, context string) (string, error) {
	if context != "" {
		return context, nil
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	raw, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).RawConfig()
	if err != nil {
		return "", fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if raw.CurrentContext == "" {
		return "", fmt.Errorf("kubeconfig %s has no current context: name one with --kube-context", path)
	}
	return raw.CurrentContext, nil
}

// FileRESTConfig is the client configuration of a context ("": the current one) of
// the kubeconfig file at path.
func FileRESTConfig(path, context string) (*rest.Config, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	return cfg, nil
}
