package server

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
)

// Values of --log-format.
const (
	LogFormatText = "text"
	LogFormatJSON = "json"
)

// newLogger writes records of level and above to w in format.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case LogFormatText:
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case LogFormatJSON:
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want %s or %s", format, LogFormatText, LogFormatJSON)
}

// logServing writes the one record a start ends with: where the API is, where the
// admin's API key was written and how to use it. Never the key itself.
func logServing(log *slog.Logger, addr net.Addr, keyFile, dataDir string) {
	url := "http://" + displayAddr(addr)
	log.Info("berth serving", "url", url, "admin_key_file", keyFile,
		"try", fmt.Sprintf(`curl -H "Authorization: Bearer $(cat %s)" %s/api/v1/workloads`, keyFile, url),
		"data_dir", dataDir)
}

// displayAddr is addr as a client reaches it: a server listening on every address
// is reached on this host at localhost.
func displayAddr(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return addr.String()
	}
	return net.JoinHostPort("localhost", strconv.Itoa(tcp.Port))
}
