package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/berth-dev/berth/internal/runtime/kube"
)

// testbed is the cluster the benchmark runs on.
type testbed struct {
	kubeconfig string
	nodes      int
	client     kubernetes.Interface
	close      func()
}

// openTestbed uses the cluster KUBECONFIG names, or starts one with test/k8s/up.sh
// (cfg.nodes KWOK nodes, no training-operator, cfg.qps for the controller-manager and
// the scheduler), removed by close.
func openTestbed(ctx context.Context, cfg config) (*testbed, error) {
	tb := &testbed{kubeconfig: os.Getenv("KUBECONFIG"), close: func() {}}
	if tb.kubeconfig == "" {
		if err := tb.start(ctx, cfg); err != nil {
			return nil, err
		}
	}
	rc, err := kube.RESTConfig(tb.kubeconfig, "")
	if err != nil {
		tb.close()
		return nil, err
	}
	rc.QPS, rc.Burst = 2000, 4000 // the benchmark's own requests must not be what is measured
	if tb.client, err = kubernetes.NewForConfig(rc); err != nil {
		tb.close()
		return nil, err
	}
	nodes, err := tb.client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		tb.close()
		return nil, err
	}
	tb.nodes = len(nodes.Items)
	return tb, nil
}

func (tb *testbed) start(ctx context.Context, cfg config) error {
	up := filepath.Join("test", "k8s", "up.sh")
	if _, err := os.Stat(up); err != nil {
		return fmt.Errorf("run from the repository root (%s: %v), or set KUBECONFIG", up, err)
	}
	fmt.Fprintf(os.Stderr, "starting a testbed of %d nodes (test/k8s/up.sh)\n", cfg.nodes)
	cmd := exec.CommandContext(ctx, up)
	cmd.Env = append(os.Environ(), "BERTH_K8S_NODES="+strconv.Itoa(cfg.nodes),
		"BERTH_K8S_TRAINING_OPERATOR=0", "BERTH_K8S_API_QPS="+strconv.Itoa(cfg.qps), "BERTH_K8S_TIMEOUT=600")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("up.sh: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	state := lines[len(lines)-1]
	tb.kubeconfig = filepath.Join(state, "kubeconfig")
	tb.close = func() {
		down := exec.Command(filepath.Join("test", "k8s", "down.sh"), state)
		down.Stdout, down.Stderr = os.Stderr, os.Stderr
		if err := down.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "kube: down.sh:", err)
		}
	}
	return nil
}
