package main

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	t.Parallel()
	ms := func(vs ...int) []time.Duration {
		ds := make([]time.Duration, len(vs))
		for i, v := range vs {
			ds[i] = time.Duration(v) * time.Millisecond
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100 down to 1: percentile must sort
	}
	cases := []struct {
		name string
		ds   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd count", ms(3, 1, 2), 50, 2 * time.Millisecond},
		{"median of even count is the lower middle", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 50, 50 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the max", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 50 is the max", ms(hundred[50:]...), 99, 50 * time.Millisecond},
	}
	for _, tc := range cases {
		if got := percentile(tc.ds, tc.p); got != tc.want {
			t.Errorf("%s: percentile(p%v) = %v, want %v", tc.name, tc.p, got, tc.want)
		}
	}
	in := ms(3, 1, 2)
	percentile(in, 50)
	if in[0] != 3*time.Millisecond {
		t.Errorf("percentile sorted its input: %v", in)
	}
}

func TestMillis(t *testing.T) {
	t.Parallel()
	if got := millis(1234567 * time.Nanosecond); got != 1.2 {
		t.Errorf("millis(1.234567ms) = %v, want 1.2", got)
	}
}
