package e2e

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

// httpGet fetches url with the bearer token (none when empty).
func httpGet(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

// scrape reads the server's /metrics as Prometheus does.
func scrape(t *testing.T, s *server) map[string]*dto.MetricFamily {
	t.Helper()
	status, body := httpGet(t, s.URL+"/metrics", "")
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// metric is the value of the series of family whose labels include labels (a
// counter's or gauge's value, a histogram's count), 0 when there is none.
func metric(families map[string]*dto.MetricFamily, family string, labels ...string) float64 {
	for _, m := range families[family].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && have[labels[i]] == labels[i+1]
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

func TestProbesAnswer(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	if status, body := httpGet(t, s.URL+"/healthz", ""); status != 200 || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 ok", status, body)
	}
	// Ready once the control loops have asked for the lease.
	waitFor(t, 20*time.Second, func() (bool, error) {
		status, _ := httpGet(t, s.URL+"/readyz", "")
		return status == 200, nil
	})
}

// Three jobs run while a fourth waits for room, then all finish: the counters and
// histograms move by what happened.
func TestMetricsAfterJobs(t *testing.T) {
	t.Parallel()
	s := startServer(t, "")
	before := scrape(t, s)
	if v := metric(before, "berth_leader"); v != 1 {
		t.Errorf("berth_leader = %v, want 1 on the only server", v)
	}
	g := newGate(t)
	var ids []string
	for i := range 3 {
		req := job(fmt.Sprintf("metrics-%d", i), g.script("true"), 1)
		req.Resource.GPU = "4"
		ids = append(ids, create(t, s.Client, req))
	}
	for _, id := range ids {
		waitPhase(t, s.Client, id, apiv1.PhaseRunning, 30*time.Second)
	}
	big := job("metrics-big", "true", 1)
	big.Resource.GPU = "8" // no node has 8 free GPUs while the three run
	waiting := create(t, s.Client, big)
	var during map[string]*dto.MetricFamily
	waitFor(t, 20*time.Second, func() (bool, error) {
		during = scrape(t, s)
		return metric(during, "berth_queue_length", "workspace", workspace) == 1 &&
			metric(during, "berth_workloads", "workspace", workspace, "phase", apiv1.PhaseRunning) == 3, nil
	})
	if wait := metric(during, "berth_queue_oldest_wait_seconds", "workspace", workspace); wait <= 0 || wait > 60 {
		t.Errorf("oldest wait %vs, want a few seconds", wait)
	}
	g.open(t)
	for _, id := range append(ids, waiting) {
		waitPhase(t, s.Client, id, apiv1.PhaseSucceeded, 30*time.Second)
	}
	after := scrape(t, s)
	moved := func(family string, labels ...string) float64 {
		return metric(after, family, labels...) - metric(before, family, labels...)
	}
	for _, c := range []struct {
		family string
		labels []string
		min    float64
		max    float64
	}{
		{"berth_pods_admitted_total", []string{"workspace", workspace}, 4, 4},
		{"berth_workload_submit_to_running_seconds", []string{"workspace", workspace}, 3, 4},
		{"berth_http_request_duration_seconds", []string{"route", "POST /api/v1/workloads", "code", "200"}, 4, 4},
		{"berth_http_request_duration_seconds", []string{"route", "GET /api/v1/workloads/{id}", "code", "200"}, 4, 1e9},
		{"berth_store_operation_duration_seconds", []string{"op", "WorkloadInsert"}, 4, 4},
		{"berth_scheduling_cycle_duration_seconds", nil, 1, 1e9},
	} {
		if got := moved(c.family, c.labels...); got < c.min || got > c.max {
			t.Errorf("%s%v moved by %v, want %v to %v", c.family, c.labels, got, c.min, c.max)
		}
	}
	if metric(after, "berth_dispatch_errors_total", "workspace", workspace) != 0 {
		t.Error("dispatch errors counted where every start succeeded")
	}
	for _, family := range []string{"process_resident_memory_bytes", "go_goroutines"} {
		if after[family] == nil {
			t.Errorf("no %s", family)
		}
	}
}

// A server logging JSON at debug level through logins, API keys, a secret and a
// workload that uses it: every line is JSON, requests name their route and caller,
// and no password, token, key or secret value appears anywhere.
func TestLogsJSONWithoutSecrets(t *testing.T) {
	t.Parallel()
	s := startServer(t, "", "--log-format", "json", "--log-level", "debug")
	ctx := t.Context()
	adminKey, err := os.ReadFile(filepath.Join(s.DataDir, "admin-api-key"))
	if err != nil {
		t.Fatal(err)
	}
	const password = "Pa55word-never-logged"
	secretValue := "secret-value-never-logged"
	if err := s.Client.Do(ctx, "POST", "/api/v1/users", nil, apiv1.CreateUserRequest{
		Name: "ops-alice", Password: password, Roles: []string{apiv1.RoleDefault}}, nil); err != nil {
		t.Fatalf("create user: %v", err)
	}
	login, err := s.Client.Login(ctx, "ops-alice", password)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, err := s.Client.Login(ctx, "ops-alice", password+"-wrong"); err == nil {
		t.Fatal("a wrong password logged in")
	}
	alice := client.New(s.URL, login.Token)
	var key apiv1.APIKey
	if err := alice.Do(ctx, "POST", "/api/v1/apikeys", nil, apiv1.CreateAPIKeyRequest{Name: "ci"}, &key); err != nil || key.Key == "" {
		t.Fatalf("create API key: %v (key %q)", err, key.Key)
	}
	if err := client.New(s.URL, key.Key).Do(ctx, "GET", "/api/v1/apikeys", nil, nil, nil); err != nil {
		t.Fatalf("list API keys with the API key: %v", err)
	}
	forged := "forged-token-never-logged"
	if _, err := client.New(s.URL, forged).ListWorkloads(ctx, nil); err == nil {
		t.Fatal("a forged token was accepted")
	}
	var sec apiv1.CreateSecretResponse
	if err := s.Client.Do(ctx, "POST", "/api/v1/secrets", nil, apiv1.CreateSecretRequest{
		Name: "ops-token", Type: apiv1.SecretTypeGeneral, WorkspaceIDs: []string{workspace},
		Params: []map[string]string{{"token": base64.StdEncoding.EncodeToString([]byte(secretValue))}},
	}, &sec); err != nil {
		t.Fatalf("create secret: %v", err)
	}
	req := job("uses-secret", "true", 1)
	req.Secrets = []apiv1.SecretRef{{ID: sec.SecretID}}
	id := create(t, s.Client, req)
	waitFor(t, 30*time.Second, func() (bool, error) {
		p := get(t, s.Client, id).Phase
		return p == apiv1.PhaseSucceeded || p == apiv1.PhaseFailed, nil
	})

	log := s.Log()
	for name, value := range map[string]string{
		"the password": password, "the login token": login.Token, "the API key": key.Key,
		"the forged token": forged, "the secret's value": secretValue,
		"the secret's value in base64": base64.StdEncoding.EncodeToString([]byte(secretValue)),
		"the admin's API key":          strings.TrimSpace(string(adminKey)),
	} {
		if strings.Contains(log, value) {
			t.Errorf("the log holds %s", name)
		}
	}
	records := jsonRecords(t, log)
	var served, aliceCall, aliceLogin int
	for _, r := range records {
		if r["msg"] == "berth serving" {
			served++
			if r["admin_key_file"] != filepath.Join(s.DataDir, "admin-api-key") || !strings.HasPrefix(fmt.Sprint(r["url"]), "http://") {
				t.Errorf("start record %v, want the URL and the key file", r)
			}
		}
		if r["msg"] == "http request" && r["route"] == "POST /api/v1/apikeys" && r["user_id"] == login.ID && r["status"] == float64(200) {
			aliceCall++
		}
		if r["msg"] == "http request" && r["route"] == "POST /api/v1/login" && r["user_id"] == login.ID {
			aliceLogin++
		}
	}
	if served != 1 || aliceCall != 1 || aliceLogin != 1 {
		t.Errorf("%d start records, %d logged API key creations and %d logins by %s, want one each", served, aliceCall, aliceLogin, login.ID)
	}
}

// jsonRecords decodes every line of a JSON log; a line that is not JSON fails the test.
func jsonRecords(t *testing.T, log string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var r map[string]any
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		out = append(out, r)
	}
	return out
}
