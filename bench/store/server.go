package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/berth-dev/berth/client"
	"github.com/berth-dev/berth/internal/server"
)

// serverWarmup is how long the server runs, answering list calls, before its RSS is
// read: long enough for the control loops to load the live workloads and cycle.
const serverWarmup = 3 * time.Second

type serverResult struct {
	rssMB   float64
	httpLat []time.Duration
}

// measureServer runs the real server in this process on the target's database until
// it has answered list calls for serverWarmup, then reads this process's VmRSS. The
// server stops before it returns.
func measureServer(ctx context.Context, tg *target) (serverResult, error) {
	// What the first phases allocated is garbage now: give it back first.
	runtime.GC()
	debug.FreeOSMemory()
	addr, err := freeAddr()
	if err != nil {
		return serverResult{}, err
	}
	cfg := server.Config{
		Listen: addr, DataDir: tg.dataDir, Database: tg.database,
		Nodes: 2, CPUsPerNode: "8", MemoryPerNode: "32Gi", GPUsPerNode: "0",
		EphemeralStoragePerNode: "100Gi", GPUVendor: "nvidia", StopGrace: server.DefaultStopGrace, TokenTTL: server.DefaultTokenTTL, PodUIDRange: server.DefaultPodUIDRange,
		LogLevel: "warn",
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srvCtx, stop := context.WithCancel(ctx)
	var runErr error
	exited := make(chan struct{}) // closed once runErr is set
	go func() { runErr = server.Run(srvCtx, cfg, log); close(exited) }()
	defer func() {
		stop()
		<-exited
		if runErr != nil {
			fmt.Fprintln(os.Stderr, "store: server:", runErr)
		}
	}()
	c, err := connect(ctx, "http://"+addr, filepath.Join(tg.dataDir, server.AdminKeyFile), exited)
	if err != nil {
		return serverResult{}, err
	}
	var res serverResult
	rng := rand.New(rand.NewPCG(7, 7))
	for began := time.Now(); time.Since(began) < serverWarmup || len(res.httpLat) < 100; {
		q := url.Values{"workspaceId": {workspaces[rng.IntN(len(workspaces))]},
			"phase": {listPhases[rng.IntN(len(listPhases))]}, "limit": {"100"}}
		t0 := time.Now()
		if _, err := c.ListWorkloads(ctx, q); err != nil {
			return serverResult{}, fmt.Errorf("list over HTTP: %w", err)
		}
		res.httpLat = append(res.httpLat, time.Since(t0))
	}
	kb, err := vmRSSKB()
	if err != nil {
		return serverResult{}, err
	}
	res.rssMB = float64(kb) / 1024
	return res, nil
}

// connect waits until the server has written its admin key and answers with it.
// A server that exits first (exited closed) makes it fail; the caller reports why.
func connect(ctx context.Context, base, keyFile string, exited <-chan struct{}) (*client.Client, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case <-exited:
			return nil, errors.New("the server exited early")
		default:
		}
		if key, err := os.ReadFile(keyFile); err == nil {
			c := client.New(base, strings.TrimSpace(string(key)))
			if _, err := c.ListWorkloads(ctx, url.Values{"limit": {"1"}}); err == nil {
				return c, nil
			}
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("did not answer within a minute")
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// vmRSSKB reads this process's resident set size from /proc/self/status.
func vmRSSKB() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/self/status")
}
