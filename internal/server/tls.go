package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
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

// withTLS makes ln answer TLS as well as plain HTTP (kubectl sends its token over
// https only), with the data dir's serving certificate.
func withTLS(ln net.Listener, dataDir string) (net.Listener, error) {
	c, err := servingCert(dataDir, ln.Addr())
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{c}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}
	return tlssniff.Listener{Listener: ln, Config: cfg}, nil
}

// servingCert loads the data dir's serving certificate, making it first when there
// is none: for localhost, the loopback addresses, this host's name and the
// listening address.
func servingCert(dataDir string, addr net.Addr) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(dataDir, servingCertFile), filepath.Join(dataDir, servingKeyFile)
	if _, err := os.Stat(certPath); errors.Is(err, fs.ErrNotExist) {
		if err := writeServingCert(certPath, keyPath, addr); err != nil {
			return tls.Certificate{}, err
		}
	}
	c, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("serving certificate: %w", err)
	}
	return c, nil
}

func writeServingCert(certPath, keyPath string, addr net.Addr) error {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() && !tcp.IP.IsLoopback() {
		ips = append(ips, tcp.IP)
	}
	dns := []string{"localhost"}
	if host, err := os.Hostname(); err == nil {
		dns = append(dns, host)
	}
	certPEM, keyPEM, err := cert.GenerateSelfSignedCertKey("berth", ips, dns)
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
