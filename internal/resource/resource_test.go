package resource

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in          string
		milli, val  int64
		gpu         int64
		err, gpuErr bool
		negative    bool
	}{
		{in: "", milli: 0, val: 0, gpu: 0},
		{in: "0", milli: 0, val: 0, gpu: 0},
		{in: "8", milli: 8000, val: 8, gpu: 8},
		{in: "500m", milli: 500, val: 1, gpuErr: true},
		{in: "1.5", milli: 1500, val: 2, gpuErr: true},
		{in: "2000m", milli: 2000, val: 2, gpu: 2},
		{in: "256Gi", milli: 256 << 30 * 1000, val: 256 << 30, gpu: 256 << 30},
		{in: "1G", milli: 1e12, val: 1e9, gpu: 1e9},
		{in: "1e3", milli: 1e6, val: 1000, gpu: 1000},
		{in: "1Ki", milli: 1024000, val: 1024, gpu: 1024},
		{in: "-1", err: true, gpuErr: true, negative: true},
		{in: "-500m", err: true, gpuErr: true, negative: true},
		{in: "abc", err: true, gpuErr: true},
		{in: "8 ", err: true, gpuErr: true},
		{in: "1Gb", err: true, gpuErr: true},
	}
	for _, tt := range tests {
		m, err := ParseMilli(tt.in)
		if (err != nil) != tt.err || (err == nil && m != tt.milli) {
			t.Errorf("ParseMilli(%q) = %d, %v; want %d, error %v", tt.in, m, err, tt.milli, tt.err)
		}
		if tt.negative && !errors.Is(err, ErrNegative) {
			t.Errorf("ParseMilli(%q) error = %v, want ErrNegative", tt.in, err)
		}
		v, err := ParseValue(tt.in)
		if (err != nil) != tt.err || (err == nil && v != tt.val) {
			t.Errorf("ParseValue(%q) = %d, %v; want %d, error %v", tt.in, v, err, tt.val, tt.err)
		}
		g, err := ParseGPU(tt.in)
		if (err != nil) != tt.gpuErr || (err == nil && g != tt.gpu) {
			t.Errorf("ParseGPU(%q) = %d, %v; want %d, error %v", tt.in, g, err, tt.gpu, tt.gpuErr)
		}
	}
}

func TestListArithmetic(t *testing.T) {
	t.Parallel()
	a := List{MilliCPU: 1000, Memory: 10, GPU: 2, EphemeralStorage: 100}
	b := List{MilliCPU: 250, Memory: 4, GPU: 1, EphemeralStorage: 30}
	for _, tt := range []struct {
		name      string
		got, want List
	}{
		{"Add", a.Add(b), List{1250, 14, 3, 130}},
		{"Sub", a.Sub(b), List{750, 6, 1, 70}},
		{"Sub below zero", b.Sub(a), List{-750, -6, -1, -70}},
		{"Scale", b.Scale(4), List{1000, 16, 4, 120}},
		{"Scale zero", a.Scale(0), List{}},
	} {
		if diff := cmp.Diff(tt.want, tt.got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.name, diff)
		}
	}
}

func TestFits(t *testing.T) {
	t.Parallel()
	free := List{MilliCPU: 1000, Memory: 10, GPU: 2, EphemeralStorage: 100}
	tests := []struct {
		name  string
		req   List
		ok    bool
		short string
	}{
		{"empty", List{}, true, ""},
		{"exactly", free, true, ""},
		{"gpu", List{GPU: 3}, false, GPU},
		{"cpu", List{MilliCPU: 1001}, false, CPU},
		{"memory", List{Memory: 11}, false, Memory},
		{"ephemeral", List{EphemeralStorage: 101}, false, EphemeralStorage},
		{"gpu named before cpu", List{MilliCPU: 2000, GPU: 3}, false, GPU},
		{"cpu named before memory", List{MilliCPU: 2000, Memory: 20}, false, CPU},
	}
	for _, tt := range tests {
		ok, short := tt.req.Fits(free)
		if ok != tt.ok || short != tt.short {
			t.Errorf("%s: Fits = %v, %q; want %v, %q", tt.name, ok, short, tt.ok, tt.short)
		}
	}
}

func TestGetAndFormat(t *testing.T) {
	t.Parallel()
	l := List{MilliCPU: 1500, Memory: 3 << 30, GPU: 8, EphemeralStorage: 50 << 30}
	for name, want := range map[string]int64{CPU: 1500, Memory: 3 << 30, GPU: 8, EphemeralStorage: 50 << 30, "rdma": 0} {
		if got := l.Get(name); got != want {
			t.Errorf("Get(%q) = %d, want %d", name, got, want)
		}
	}
	want := map[string]string{CPU: "1500m", Memory: "3Gi", GPU: "8", EphemeralStorage: "50Gi"}
	if diff := cmp.Diff(want, l.Strings()); diff != "" {
		t.Errorf("Strings (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		name string
		v    int64
		want string
	}{
		{CPU, 2000, "2"},
		{CPU, 0, "0"},
		{Memory, 1536 << 20, "1536Mi"},
		{EphemeralStorage, 1000, "1k"}, // not a power of 1024: decimal suffix
		{GPU, 0, "0"},
	} {
		if got := Format(tt.name, tt.v); got != tt.want {
			t.Errorf("Format(%q, %d) = %q, want %q", tt.name, tt.v, got, tt.want)
		}
	}
}

func FuzzParseQuantity(f *testing.F) {
	for _, s := range []string{"", "0", "8", "500m", "1.5", "256Gi", "1e3", "-1", "abc", "1E", ".5", "9223372036854775807", "1e100"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Every input returns quickly (the fuzzer's timeout catches a hang: huge
		// exponents once stalled the Kubernetes parser underneath).
		q, err := ParseQuantity(s)
		if err != nil {
			return
		}
		if q.Sign() < 0 || q.Cmp(maxQuantity) > 0 {
			t.Fatalf("ParseQuantity(%q) = %s, outside [0, %s] without an error", s, q.String(), Max)
		}
		// What it prints, it reads back as the same amount.
		back, err := ParseQuantity(q.String())
		if err != nil || back.Cmp(q) != 0 {
			t.Fatalf("ParseQuantity(%q) = %s; reading that back gave %s, %v", s, q.String(), back.String(), err)
		}
		if m, err := ParseMilli(s); err != nil || m < 0 || m/1000 > q.Value() {
			t.Fatalf("ParseMilli(%q) = %d, %v after ParseQuantity succeeded", s, m, err)
		}
		if v, err := ParseValue(s); err != nil || v < 0 {
			t.Fatalf("ParseValue(%q) = %d, %v after ParseQuantity succeeded", s, v, err)
		}
	})
}

func FuzzParseGPU(f *testing.F) {
	for _, s := range []string{"", "0", "8", "500m", "8000m", "1.5", "-1", "1e3", "1Ki", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseGPU(s)
		if err != nil {
			if n != 0 {
				t.Fatalf("ParseGPU(%q) = %d with error %v, want 0", s, n, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseGPU(%q) = %d, below zero", s, n)
		}
		// A whole count reads back as itself.
		if back, err := ParseGPU(strconv.FormatInt(n, 10)); err != nil || back != n {
			t.Fatalf("ParseGPU(%q) = %d; ParseGPU(%d) = %d, %v", s, n, n, back, err)
		}
	})
}

func TestScaleCapsInsteadOfWrapping(t *testing.T) {
	t.Parallel()
	l := List{MilliCPU: 1500, Memory: 50 << 30, GPU: 8, EphemeralStorage: 0}
	got := l.Scale(2147483648)
	want := List{MilliCPU: 1500 * 2147483648, Memory: math.MaxInt64, GPU: 8 * 2147483648, EphemeralStorage: 0}
	if got != want {
		t.Errorf("Scale = %+v, want %+v", got, want)
	}
	if ok, _ := got.Fits(List{MilliCPU: math.MaxInt64, Memory: 1 << 40, GPU: math.MaxInt64, EphemeralStorage: 1}); ok {
		t.Error("a wrapped-around product fits")
	}
	total := Quantity(Memory, 50<<30)
	total.Mul(2147483648)
	if total.String() != "100Ei" {
		t.Errorf("50Gi × 2147483648 = %s, want 100Ei", total.String())
	}
}
