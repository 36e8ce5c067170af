package watch

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/berth-dev/berth/internal/store"
)

// Defaults of Config.
const (
	// PollDefault is how often the head is read while someone watches, on a store
	// that does not notify.
	PollDefault = 100 * time.Millisecond
	// PollNotifiedDefault is how often it is read on a store that notifies: only in
	// case a notification was lost.
	PollNotifiedDefault = 2 * time.Second
	// HeartbeatDefault is how long a watch stream stays silent before it sends a
	// comment, so that proxies keep the connection.
	HeartbeatDefault = 15 * time.Second
	// KeepDefault is the most events the log keeps.
	KeepDefault = 100_000
	// MaxAgeDefault is the longest the log keeps an event.
	MaxAgeDefault = time.Hour
	// TrimEveryDefault is how often the log is trimmed.
	TrimEveryDefault = time.Minute
	// listenRetry is how long the hub waits to listen again after the connection
	// it listened on failed.
	listenRetry = time.Second
)

// Config configures a Hub; zero fields take their defaults.
type Config struct {
	Store     store.WorkloadEventStore // a store.WorkloadNotifier too, where it can
	Poll      time.Duration
	Heartbeat time.Duration
	Keep      int64
	MaxAge    time.Duration
	TrimEvery time.Duration
	Log       *slog.Logger
}

// withDefaults fills the zero fields of c.
func (c Config) withDefaults() Config {
	if c.Poll <= 0 {
		c.Poll = PollDefault
	}
	if _, notifies := c.Store.(store.WorkloadNotifier); notifies {
		c.Poll = max(c.Poll, PollNotifiedDefault)
	}
	if c.Heartbeat <= 0 {
		c.Heartbeat = HeartbeatDefault
	}
	if c.Keep <= 0 {
		c.Keep = KeepDefault
	}
	if c.MaxAge <= 0 {
		c.MaxAge = MaxAgeDefault
	}
	if c.TrimEvery <= 0 {
		c.TrimEvery = TrimEveryDefault
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return c
}

// Hub tells watches when the workload change log grows. Its methods are safe for
// concurrent use.
type Hub struct {
	cfg      Config
	watching atomic.Int64  // open watches: the hub polls only while there are some
	poke     chan struct{} // a notification came: read the head now
	done     chan struct{} // closed when Run ends

	mu    sync.Mutex
	head  int64
	moved chan struct{} // closed, and replaced, when head grows
}

// New returns a hub; Run makes it follow the log.
func New(cfg Config) *Hub {
	return &Hub{cfg: cfg.withDefaults(), poke: make(chan struct{}, 1), done: make(chan struct{}),
		moved: make(chan struct{})}
}

// Store is the store the hub follows, for the watches to read.
func (h *Hub) Store() store.WorkloadEventStore { return h.cfg.Store }

// Heartbeat is how long a watch stream may stay silent.
func (h *Hub) Heartbeat() time.Duration { return h.cfg.Heartbeat }

// Done is closed when the hub stops: its watches end then.
func (h *Hub) Done() <-chan struct{} { return h.done }

// Watch counts a watch as open until release is called.
func (h *Hub) Watch() (release func()) {
	h.watching.Add(1)
	var once sync.Once
	return func() { once.Do(func() { h.watching.Add(-1) }) }
}

// Next returns a channel that is closed once the log holds an event after seq:
// closed already if the hub knows of one.
func (h *Hub) Next(seq int64) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.head > seq {
		return closed
	}
	return h.moved
}

// closed is a channel that is always closed.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// Run follows the log and trims it until ctx ends.
func (h *Hub) Run(ctx context.Context) {
	defer close(h.done)
	if n, ok := h.cfg.Store.(store.WorkloadNotifier); ok {
		go h.listen(ctx, n)
	}
	poll := time.NewTicker(h.cfg.Poll)
	defer poll.Stop()
	trim := time.NewTicker(h.cfg.TrimEvery)
	defer trim.Stop()
	h.trim(ctx)
	h.readHead(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.poke:
			h.readHead(ctx)
		case <-poll.C:
			if h.watching.Load() > 0 {
				h.readHead(ctx)
			}
		case <-trim.C:
			h.trim(ctx)
		}
	}
}

// listen pokes the hub on every notification of the store, listening again after a
// failed connection, until ctx ends.
func (h *Hub) listen(ctx context.Context, n store.WorkloadNotifier) {
	retry := time.NewTicker(listenRetry)
	defer retry.Stop()
	for {
		err := n.WorkloadListen(ctx, func() {
			select {
			case h.poke <- struct{}{}:
			default: // a poke is pending: it covers this one
			}
		})
		if err != nil && ctx.Err() == nil {
			h.cfg.Log.Warn("listen for workload writes", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
		}
	}
}

// readHead reads the log's head and wakes the watches waiting if it grew.
func (h *Hub) readHead(ctx context.Context) {
	head, err := h.cfg.Store.WorkloadEventHead(ctx)
	if err != nil {
		if ctx.Err() == nil {
			h.cfg.Log.Warn("read the workload change log", "err", err)
		}
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if head > h.head {
		h.head = head
		close(h.moved)
		h.moved = make(chan struct{})
	}
}

// trim forgets the events the log need not keep.
func (h *Hub) trim(ctx context.Context) {
	p := store.WorkloadEventTrimParams{MaxAge: h.cfg.MaxAge, Keep: h.cfg.Keep}
	if _, err := h.cfg.Store.WorkloadEventTrim(ctx, p); err != nil && ctx.Err() == nil {
		h.cfg.Log.Warn("trim the workload change log", "err", err)
	}
}
