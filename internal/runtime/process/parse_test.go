package process

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/berth-dev/berth/internal/runtime"
)

func TestParseStat(t *testing.T) {
	t.Parallel()
	tail := " 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10"
	for _, tc := range []struct {
		name, in string
		want     procStat
		wantErr  bool
	}{
		{"plain", "42 (sleep) S" + tail, procStat{State: 'S', PGRP: 42, Start: 987654}, false},
		{"comm with spaces and parens", "42 (a) (b c) Z" + tail, procStat{State: 'Z', PGRP: 42, Start: 987654}, false},
		{"truncated", "42 (sleep) S 1 42", procStat{}, true},
		{"no comm", "garbage", procStat{}, true},
	} {
		got, err := parseStat([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("%s: parseStat = %+v, %v; want %+v, error %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestReadLog(t *testing.T) {
	t.Parallel()
	in := strings.Join([]string{
		"2024-01-01T00:00:00.5Z stdout F first",
		"2024-01-01T00:00:01Z stdout P par",
		"2024-01-01T00:00:01Z stderr F err",
		"2024-01-01T00:00:02Z stdout F tial",
		"not a log line",
		"2024-01-01T00:00:03Z stdout F ",
		"2024-01-01T00:00:04Z stdout F with  two spaces",
	}, "\n")
	entries, err := readLog(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Text)
	}
	want := []string{"first", "err", "partial", "", "with  two spaces"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readLog (-want +got):\n%s", diff)
	}
}

func TestSelectLog(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 1, 0, 1, 0, 0, time.UTC)
	entries := []logEntry{
		{now.Add(-50 * time.Second), "a"},
		{now.Add(-20 * time.Second), "b"},
		{now.Add(-5 * time.Second), "c"},
	}
	for _, tc := range []struct {
		opts runtime.LogOptions
		want []string
	}{
		{runtime.LogOptions{}, []string{"a", "b", "c"}},
		{runtime.LogOptions{TailLines: 2}, []string{"b", "c"}},
		{runtime.LogOptions{SinceSeconds: 30}, []string{"b", "c"}},
		{runtime.LogOptions{SinceSeconds: 1}, []string{}},
		{runtime.LogOptions{SinceSeconds: 30, TailLines: 1}, []string{"c"}},
	} {
		if diff := cmp.Diff(tc.want, selectLog(entries, tc.opts, now)); diff != "" {
			t.Errorf("selectLog(%+v) (-want +got):\n%s", tc.opts, diff)
		}
	}
}

func TestCountGPUs(t *testing.T) {
	t.Parallel()
	if n := countNvidia([]byte("0\n1\n2\n\n")); n != 3 {
		t.Errorf("countNvidia = %d, want 3", n)
	}
	rocm := "==== ROCm System Management Interface ====\nGPU[0]\t\t: Device ID: 0x740f\nGPU[0]\t\t: Device Rev: 0x02\nGPU[1]\t\t: Device ID: 0x740f\n"
	if n := countROCm([]byte(rocm)); n != 2 {
		t.Errorf("countROCm = %d, want 2", n)
	}
}
