package server

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"k8s.io/client-go/util/cert"

	"github.com/berth-dev/berth/internal/tlssniff"
)

// The serving certificate's files in the data dir: a self-signed CA and the
// certificate it signed, made on first start and kept, so that a kubeconfig that
// trusts them keeps working.
const (
	servingCertFile = "serving.crt"
	servingKeyFile  = "serving.key"
)

// serving is the TLS side of Berth's listener.
type serving struct {
	// names are DNS names the certificate must name besides its own (the Service's
	// of an aggregated API).
	names []string
	// clientCerts asks clients for a certificate: a cluster's front proxy shows
	// one to vouch for the users it names.
	clientCerts bool
}

// withTLS makes ln answer TLS as well as plain HTTP (kubectl sends its token over
// https only), with the data dir's serving certificate, and returns the PEM of the
// CA that signed it.
func withTLS(ln net.Listener, dataDir string, opts serving, log *slog.Logger) (net.Listener, []byte, error) {
	c, err := servingCert(dataDir, ln.Addr(), opts.names, log)
	if err != nil {
		return nil, nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	if opts.clientCerts {
		cfg.ClientAuth = tls.RequestClientCert // verified by the front proxy's authenticator
	}
	ca := c.Certificate[len(c.Certificate)-1]
	return tlssniff.Listener{Listener: ln, Config: cfg}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca}), nil
}

// servingCert loads the data dir's serving certificate, making it first when there
// is none, or when it does not name each of names: for localhost, the loopback
// addresses, this host's name, the listening address and names.
func servingCert(dataDir string, addr net.Addr, names []string, log *slog.Logger) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dataDir, servingCertFile), filepath.Join(dataDir, servingKeyFile)
	_, err := os.Stat(certPath)
	if errors.Is(err, fs.ErrNotExist) {
		if err := writeServingCert(certPath, keyPath, addr, names); err != nil {
			return tls.Certificate{}, err
		}
	}
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("serving certificate: %w", err)
	}
	if missing := unnamed(c, names); missing != "" {
		log.Warn("serving certificate made again: it did not name "+missing+"; kubeconfigs that trust the old one need `berth kubeconfig` again",
			"file", certPath)
		if err := writeServingCert(certPath, keyPath, addr, names); err != nil {
			return tls.Certificate{}, err
		}
		return servingCert(dataDir, addr, nil, log)
	}
	return c, nil
}

// unnamed is the first of names c's leaf certificate does not name ("": none).
func unnamed(c tls.Certificate, names []string) string {
	leaf, err := x509.ParseCertificate(c.Certificate[0])
	if err != nil {
		return "anything"
	}
	for _, n := range names {
		if leaf.VerifyHostname(n) != nil {
			return n
		}
	}
	return ""
}

func writeServingCert(certPath, keyPath string, addr net.Addr, names []string) error {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() && !tcp.IP.IsLoopback() {
		ips = append(ips, tcp.IP)
	}
	dns := []string{"localhost"}
	if host, err := os.Hostname(); err == nil {
		dns = append(dns, host)
	}
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey("berth", ips, append(dns, names...))
	if err != nil {
		return fmt.Errorf("make a serving certificate: %w", err)
	}
	if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return fmt.Errorf("write the serving key: %w", err)
	}
	if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
		return fmt.Errorf("write the serving certificate: %w", err)
	}
	return nil
}
