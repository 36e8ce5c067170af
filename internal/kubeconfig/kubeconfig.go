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

// ErrInvalid is what every InvalidError is.
var ErrInvalid = errors.New("invalid kubeconfig")

// InvalidError says what is wrong with a kubeconfig's text.
type InvalidError struct{ Reason string }

func (e *InvalidError) Error() string { return ErrInvalid.Error() + ": " + e.Reason }

// Is makes every InvalidError ErrInvalid.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

func invalid(format string, args ...any) error {
	return &InvalidError{Reason: fmt.Sprintf(format, args...)}
}

// Parse checks that data is a kubeconfig that stands on its own and whose context
// (its current context when contextName is "") names a cluster and a user. It returns
// the kubeconfig cut down to that context, and the context's name.
//
// Standing on its own means no server file and no command is needed to connect: what
// is added through the API must not make a server run a program (exec, auth-provider
// plugins) or read its own files (certificate, key and token files) for whoever added
// it; certificates, keys and tokens must be given inline.
func Parse(data []byte, contextName string) (minified []byte, name string, err error) {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, "", invalid("%v", err)
	}
	if contextName == "" {
		contextName = cfg.CurrentContext
	}
	if contextName == "" {
		return nil, "", invalid("it has no current context: name one")
	}
	if _, ok := cfg.Contexts[contextName]; !ok {
		return nil, "", invalid("it has no context %q", contextName)
	}
	cfg.CurrentContext = contextName
	if err := clientcmdapi.MinifyConfig(cfg); err != nil {
		return nil, "", invalid("%v", err)
	}
	if err := standsAlone(cfg); err != nil {
		return nil, "", err
	}
	if _, err := clientcmd.NewDefaultClientConfig(*cfg, nil).ClientConfig(); err != nil {
		return nil, "", invalid("%v", err)
	}
	minified, err = clientcmd.Write(*cfg)
	return minified, contextName, err
}

// standsAlone refuses what would make a server run a program or read its own files.
func standsAlone(cfg *clientcmdapi.Config) error {
	for name, c := range cfg.Clusters {
		if c.CertificateAuthority != "" {
			return invalid("cluster %q names a file (certificate-authority): give certificate-authority-data", name)
		}
	}
	for name, u := range cfg.AuthInfos {
		switch {
		case u.Exec != nil:
			return invalid("user %q runs a command (exec): give a token or a client certificate", name)
		case u.AuthProvider != nil:
			return invalid("user %q uses an auth-provider plugin: give a token or a client certificate", name)
		case u.TokenFile != "":
			return invalid("user %q names a file (tokenFile): give the token", name)
		case u.ClientCertificate != "" || u.ClientKey != "":
			return invalid("user %q names a file (client-certificate, client-key): give client-certificate-data and client-key-data", name)
		}
	}
	return nil
}

// RESTConfig is the client configuration of a kubeconfig's context ("": its current
// context).
func RESTConfig(data []byte, context string) (*rest.Config, error) {
	cfg, err := clientcmd.Load(data)
	if err != nil {
		return nil, invalid("%v", err)
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
