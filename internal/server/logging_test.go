package server

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
)

func TestLogFormats(t *testing.T) {
	t.Parallel()
	var text, js bytes.Buffer
	for _, tc := range []struct {
		format string
		out    *bytes.Buffer
	}{{LogFormatText, &text}, {LogFormatJSON, &js}} {
		log, err := newLogger(tc.out, "info", tc.format)
		if err != nil {
			t.Fatalf("newLogger(%s): %v", tc.format, err)
		}
		log.Info("hello", "n", 1)
		log.Debug("hidden")
	}
	if got := text.String(); !strings.Contains(got, "msg=hello n=1") || strings.Contains(got, "hidden") {
		t.Errorf("text log %q, want msg=hello n=1 and no debug record", got)
	}
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil || rec["msg"] != "hello" || rec["n"] != float64(1) {
		t.Errorf("json log %q: %v (decoded %v)", js.String(), err, rec)
	}
	if _, err := newLogger(&text, "info", "yaml"); err == nil || !strings.Contains(err.Error(), "--log-format") {
		t.Errorf("newLogger(yaml) = %v, want an error naming --log-format", err)
	}
}

// The start record says where the API is and where the key is, not what it is.
func TestLogServing(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	log, _ := newLogger(&out, "info", LogFormatJSON)
	logServing(log, &net.TCPAddr{IP: net.IPv6unspecified, Port: 8088}, "berth-data/admin-api-key", "berth-data")
	var rec map[string]any
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["url"] != "http://localhost:8088" || rec["admin_key_file"] != "berth-data/admin-api-key" ||
		!strings.Contains(rec["try"].(string), "$(cat berth-data/admin-api-key)") {
		t.Errorf("start record %v", rec)
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d records, want one", n)
	}
}
