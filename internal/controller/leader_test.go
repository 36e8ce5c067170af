package controller

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Two servers over one store: one leads; when it stops, the other takes over at once
// (the lease is released, not left to expire) and carries on from the stored state.
func TestLeaderHandover(t *testing.T) {
	t.Parallel()
	e := newEnv(t) // its own controller runs too; the leaders below share its store
	cfg := Config{Store: e.store, Runtime: e.rt, Interval: 50 * time.Millisecond}
	a, b := NewLeader(cfg, "a", time.Second), NewLeader(cfg, "b", time.Second)
	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan error, 1)
	go func() { doneA <- a.Run(ctxA) }()
	waitLeading(t, a)
	ctxB, stopB := context.WithCancel(context.Background())
	doneB := make(chan error, 1)
	go func() { doneB <- b.Run(ctxB) }()
	t.Cleanup(func() { stopB(); <-doneB })
	if b.current.Load() != nil {
		t.Fatal("b leads while a holds the lease")
	}
	stopA()
	if err := <-doneA; err != nil {
		t.Fatalf("a stopped with %v", err)
	}
	waitLeading(t, b)
}

func waitLeading(t *testing.T, l *Leader) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for l.current.Load() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s never led", l.holder)
		}
		<-tick.C
	}
}

// The ops job hook runs for the term of leadership and ends with it.
func TestLeaderRunsOpsJobs(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	started, ended := make(chan struct{}), make(chan struct{})
	cfg := Config{Store: e.store, Runtime: e.rt, Interval: 50 * time.Millisecond,
		RunOpsJobs: func(ctx context.Context) error {
			close(started)
			<-ctx.Done()
			close(ended)
			return nil
		}}
	l := NewLeader(cfg, "ops", time.Second)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the ops job hook never started")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	select {
	case <-ended:
	default:
		t.Fatal("the leader returned while the ops job hook still ran")
	}
}

// Ready: not before the lease loop asked, yes for the leader and for a server that
// sees another lead, not after the loop stopped.
func TestLeaderReady(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	cfg := Config{Store: e.store, Runtime: e.rt, Interval: 50 * time.Millisecond}
	a, b := NewLeader(cfg, "a", time.Second), NewLeader(cfg, "b", time.Second)
	if err := a.Ready(); err == nil {
		t.Fatal("a is ready before it ran")
	}
	ctxA, stopA := context.WithCancel(context.Background())
	doneA := make(chan error, 1)
	go func() { doneA <- a.Run(ctxA) }()
	waitLeading(t, a)
	ctxB, stopB := context.WithCancel(context.Background())
	doneB := make(chan error, 1)
	go func() { doneB <- b.Run(ctxB) }()
	t.Cleanup(func() { stopB(); <-doneB })
	waitReady(t, b)
	if err := a.Ready(); err != nil {
		t.Errorf("the leader is not ready: %v", err)
	}
	if b.Leading() || !a.Leading() {
		t.Errorf("Leading: a %v, b %v; want a alone", a.Leading(), b.Leading())
	}
	if _, ok := b.Stats(); ok {
		t.Error("b has stats of loops it does not run")
	}
	stopA()
	<-doneA
	if err := a.Ready(); err == nil || !strings.Contains(err.Error(), "stopped") {
		t.Errorf("a after it stopped: Ready() = %v, want the loops have stopped", err)
	}
}

func waitReady(t *testing.T, l *Leader) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for l.Ready() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("%s never ready: %v", l.holder, l.Ready())
		}
		<-tick.C
	}
}
