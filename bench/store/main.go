// Command store measures Berth's store at scale, on SQLite or on PostgreSQL:
//
//  1. creates: -workloads workloads (3 workspaces without nodes, 90% finished and
//     released history, 10% queued, as the API and the control loops store them)
//     inserted through the store driver by -concurrency writers; creates per second;
//  2. list latency: -lists queries of one workspace and one phase, a page of 100,
//     through the driver, one at a time; p50 and p99;
//  3. server RSS: the real server (server.Run) started in this process against the
//     same database, a few list calls over HTTP, then VmRSS of this process, which is
//     the server (plus what the first phases left after a GC).
//
// It prints a table, then as its last line one JSON object:
// {"createsPerSecond":..,"listP50Millis":..,"listP99Millis":..,"rssMB":..}.
//
//	go run ./bench/store -database sqlite -workloads 100000
//	go run ./bench/store -database postgres://postgres@127.0.0.1:5433/postgres?sslmode=disable
//
// Right after the bulk load PostgreSQL's visibility map is mostly unset, so counting a
// list's matches visits the heap; -settle runs VACUUM ANALYZE first, as autovacuum
// would soon after, to measure the steady state.
//
// SQLite lives in a temporary directory; on PostgreSQL everything goes into a fresh
// schema, dropped at the end.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/berth-dev/berth/internal/runtime/process"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

type config struct {
	database                      string
	workloads, concurrency, lists int
	settle                        bool
}

// result is the last line.
type result struct {
	CreatesPerSecond float64 `json:"createsPerSecond"`
	ListP50Millis    float64 `json:"listP50Millis"`
	ListP99Millis    float64 `json:"listP99Millis"`
	RSSMB            float64 `json:"rssMB"`
}

func main() {
	// The in-process server starts pods as `<this binary> pod-shim DIR`. The stored
	// workloads never start one, but should one start it must not run the benchmark.
	if len(os.Args) == 3 && os.Args[1] == "pod-shim" {
		os.Exit(process.ShimMain(os.Args[2]))
	}
	var cfg config
	flag.StringVar(&cfg.database, "database", "sqlite", "sqlite (a temporary file) or a postgres:// URL")
	flag.IntVar(&cfg.workloads, "workloads", 100000, "workloads to store")
	flag.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent writers")
	flag.IntVar(&cfg.lists, "lists", 1000, "list queries to time")
	flag.BoolVar(&cfg.settle, "settle", false, "before timing lists, VACUUM ANALYZE on PostgreSQL (what autovacuum does soon after a bulk load)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "store:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, cfg config) error {
	if cfg.workloads < 1 || cfg.concurrency < 1 || cfg.lists < 1 {
		return fmt.Errorf("-workloads, -concurrency and -lists must be at least 1")
	}
	tg, err := newTarget(ctx, cfg.database)
	if err != nil {
		return err
	}
	defer tg.cleanup()
	st, err := tg.open(ctx)
	if err != nil {
		return err
	}
	var res result
	res.CreatesPerSecond, err = insertAll(ctx, st, cfg)
	if err != nil {
		st.Close()
		return err
	}
	if cfg.settle {
		if err := tg.settle(ctx); err != nil {
			st.Close()
			return fmt.Errorf("settle: %w", err)
		}
	}
	lat, err := listLatency(ctx, st, cfg.lists)
	st.Close()
	if err != nil {
		return err
	}
	res.ListP50Millis, res.ListP99Millis = millis(percentile(lat, 50)), millis(percentile(lat, 99))
	srv, err := measureServer(ctx, tg)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	res.RSSMB = srv.rssMB

	fmt.Printf("%-9s %9s %11s %8s %13s %13s %18s %18s %8s\n", "database", "workloads", "concurrency",
		"creates/s", "list p50 ms", "list p99 ms", "http list p50 ms", "http list p99 ms", "rss MB")
	fmt.Printf("%-9s %9d %11d %8.0f %13.2f %13.2f %18.2f %18.2f %8.1f\n", tg.name, cfg.workloads,
		cfg.concurrency, res.CreatesPerSecond, res.ListP50Millis, res.ListP99Millis,
		millis(percentile(srv.httpLat, 50)), millis(percentile(srv.httpLat, 99)), res.RSSMB)
	fmt.Println("list: one workspace and one phase, limit 100, through the driver (http: through the server)")
	if cfg.settle && tg.name == "postgres" {
		fmt.Println("settled: VACUUM ANALYZE workloads ran before the lists were timed")
	}
	fmt.Println("rss MB: VmRSS of this process, which ran the server (server.Run) in-process on that database")
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
	return nil
}

// insertAll stores cfg.workloads workloads with cfg.concurrency writers and returns
// creates per second. Workspace rows come first, as the API needs them.
func insertAll(ctx context.Context, st store.Store, cfg config) (float64, error) {
	for _, id := range workspaces {
		if err := st.WorkspaceInsert(ctx, benchWorkspace(id)); err != nil {
			return 0, fmt.Errorf("insert workspace %s: %w", id, err)
		}
	}
	var next atomic.Int64
	var firstErr error
	var errOnce sync.Once
	var wg sync.WaitGroup
	began := time.Now()
	for g := range cfg.concurrency {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for i := int(next.Add(1)) - 1; i < cfg.workloads; i = int(next.Add(1)) - 1 {
				if err := insert(ctx, st, benchWorkload(i, rng)); err != nil {
					errOnce.Do(func() { firstErr = fmt.Errorf("insert workload %d: %w", i, err) })
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(began)
	if firstErr != nil {
		return 0, firstErr
	}
	fmt.Fprintf(os.Stderr, "created %d workloads in %v\n", cfg.workloads, took.Round(time.Millisecond))
	return float64(cfg.workloads) / took.Seconds(), nil
}

// insert stores w, drawing a new id when the random one is taken, as the API does.
func insert(ctx context.Context, st store.Store, w *workload.Workload) error {
	err := st.WorkloadInsert(ctx, w)
	for try := 0; errors.Is(err, store.ErrConflict) && try < 5; try++ {
		w.ID = workload.NewID(w.DisplayName)
		err = st.WorkloadInsert(ctx, w)
	}
	return err
}

// listLatency times n list queries of a random workspace and phase, a page of 100.
func listLatency(ctx context.Context, st store.Store, n int) ([]time.Duration, error) {
	rng := rand.New(rand.NewPCG(42, 42))
	lat := make([]time.Duration, 0, n)
	for range n {
		p := store.WorkloadListParams{
			Workspace: workspaces[rng.IntN(len(workspaces))],
			Phases:    []string{listPhases[rng.IntN(len(listPhases))]},
			Limit:     100,
		}
		t0 := time.Now()
		if _, _, err := st.WorkloadList(ctx, p); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
		lat = append(lat, time.Since(t0))
	}
	return lat, nil
}

// percentile returns the p-th percentile of d (sorting it).
func percentile(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	return d[min(len(d)-1, len(d)*p/100)]
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
