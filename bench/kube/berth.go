package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/runtime/kube"
	"github.com/berth-dev/berth/internal/server"
)

// runBerth runs a Berth server in this process on the testbed and submits every
// gang through its API.
func runBerth(ctx context.Context, tb *testbed, sizes []int, cfg config) (*phase, error) {
	dir, err := os.MkdirTemp("", "berth-bench-kube-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	c, stop, err := startServer(ctx, tb, dir, cfg.qps)
	if err != nil {
		return nil, err
	}
	defer stop()
	w, err := watch(ctx, tb.client, kube.LabelWorkload)
	if err != nil {
		return nil, err
	}
	objects, err := watchObjects(ctx, tb.client, cfg.kind)
	if err != nil {
		return nil, err
	}
	var mu sync.Mutex
	want, submitted := map[string]int{}, map[string]time.Time{}
	fmt.Fprintf(os.Stderr, "berth: submitting %d gangs of %d pods\n", len(sizes), sum(sizes))
	began := time.Now()
	err = parallel(ctx, len(sizes), cfg.concurrency, func(i int) error {
		t := time.Now()
		id, err := c.CreateWorkload(ctx, gangWorkload(i, sizes[i], cfg.kind))
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		want[id], submitted[id] = sizes[i], t
		return nil
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "berth: submitted in %v\n", time.Since(began).Round(time.Millisecond))
	p, err := w.wait(ctx, want, submitted)
	if err != nil {
		return nil, err
	}
	p.toObject = objects.since(submitted)
	return p, nil
}

func gangWorkload(i, size int, kind string) *apiv1.CreateWorkloadRequest {
	return &apiv1.CreateWorkloadRequest{
		DisplayName: fmt.Sprintf("gang-%d", i), WorkspaceID: server.DefaultWorkspace,
		WorkloadSpec: apiv1.WorkloadSpec{
			GroupVersionKind: apiv1.GroupVersionKind{Kind: kind, Version: "v1"},
			Image:            "busybox", EntryPoint: "sleep infinity",
			Resource: apiv1.WorkloadResource{Replica: size, CPU: podCPU, Memory: podMemory},
		},
	}
}

// startServer runs berth serve in this process with its data in dir, on the testbed,
// at qps requests per second to the API server.
func startServer(ctx context.Context, tb *testbed, dir string, qps int) (*client.Client, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := server.Config{Listen: addr, DataDir: dir, Kubeconfig: tb.kubeconfig, KubeAPIQPS: qps, StopGrace: server.DefaultStopGrace, TokenTTL: server.DefaultTokenTTL, PodUIDRange: server.DefaultPodUIDRange,
		LogLevel: "warn", CPUsPerNode: "1", MemoryPerNode: "1Gi", GPUsPerNode: "0", EphemeralStoragePerNode: "1Gi"}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srvCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- server.Run(srvCtx, cfg, log) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "kube: server:", err)
		}
	}
	keyFile := filepath.Join(dir, server.AdminKeyFile)
	for deadline := time.Now().Add(2 * time.Minute); ; {
		if key, err := os.ReadFile(keyFile); err == nil {
			c := client.New("http://"+addr, strings.TrimSpace(string(key)))
			if _, err := c.ListWorkloads(ctx, url.Values{"limit": {"1"}}); err == nil {
				return c, stop, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("the server did not answer within 2 minutes")
		}
		select {
		case err := <-done:
			return nil, nil, fmt.Errorf("the server exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
