package cli

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// kubeconfigDialTimeout bounds the TLS handshake that reads the server's certificate.
const kubeconfigDialTimeout = 10 * time.Second

func (a *app) kubeconfigCommand() *cobra.Command {
	var namespace, output string
	cmd := &cobra.Command{
		Use:   "kubeconfig [--namespace project-NAME] [-o FILE]",
		Short: "Write a kubeconfig for kubectl to reach this server as the current login",
		Long: "Write a kubeconfig (to stdout, or to FILE with mode 0600) whose cluster is the current\n" +
			"context's server over https (its listener answers TLS too; kubectl sends tokens over https\n" +
			"only), trusting the certificate the server presents now, and whose user is the context's\n" +
			"token. A namespace is a workspace: project-<workspace name>.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, c, err := a.connect()
			if err != nil {
				return err
			}
			cfg, err := kubeconfigFor(cmd.Context(), c.Name, c.Server, c.Token, namespace)
			if err != nil {
				return err
			}
			data, err := clientcmd.Write(*cfg)
			if err != nil {
				return fmt.Errorf("encode the kubeconfig: %w", err)
			}
			if output == "" {
				_, err = cmd.OutOrStdout().Write(data)
				return err
			}
			return os.WriteFile(output, data, 0o600)
		},
	}
	cmd.Flags().StringVarP(&namespace, "namespace", "n", "", "the namespace kubectl uses when not told, project-<workspace name>")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the kubeconfig to this file (mode 0600) instead of stdout")
	return cmd
}

// kubeconfigFor is a kubeconfig of one context, name, for the server at server
// (an http:// one is reached at https:// on the same address) with token.
func kubeconfigFor(ctx context.Context, name, server, token, namespace string) (*clientcmdapi.Config, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("server %q: not a URL with a host", server)
	}
	cluster := clientcmdapi.NewCluster()
	if u.Scheme == "http" {
		u.Scheme = "https"
		if cluster.CertificateAuthorityData, err = servingCA(ctx, u.Host); err != nil {
			return nil, err
		}
	}
	cluster.Server = u.String()
	user := clientcmdapi.NewAuthInfo()
	user.Token = token
	kctx := clientcmdapi.NewContext()
	kctx.Cluster, kctx.AuthInfo, kctx.Namespace = name, name, namespace
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[name], cfg.AuthInfos[name], cfg.Contexts[name] = cluster, user, kctx
	cfg.CurrentContext = name
	return cfg, nil
}

// servingCA is the certificate that signed the one the server at addr presents
// (the last of its chain), in PEM: trusted as the server the CLI already talks
// to, over the connection it already sends its token on.
func servingCA(ctx context.Context, addr string) ([]byte, error) {
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: kubeconfigDialTimeout},
		Config: &tls.Config{InsecureSkipVerify: true}} //nolint:gosec // reads the certificate to pin it
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("read the server's certificate at %s: %w", addr, err)
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return nil, errors.New("the server presented no certificate")
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: certs[len(certs)-1].Raw}), nil
}
