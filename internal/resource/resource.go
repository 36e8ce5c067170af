// Package resource parses and does arithmetic on the quantities a pod asks for and a
// node offers: cpu (kept in millicores), memory and ephemeral storage (bytes) and GPUs
// (whole devices). Parsing follows Kubernetes quantity syntax ("500m", "256Gi", "1.5").
package resource

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strings"

	k8sresource "k8s.io/apimachinery/pkg/api/resource"
)

// Resource names, as Kubernetes and the scheduler's messages spell them.
const (
	CPU              = "cpu"
	Memory           = "memory"
	GPU              = "gpu"
	EphemeralStorage = "ephemeral-storage"
)

// Errors of ParseQuantity besides a malformed text.
var (
	ErrNegative = errors.New("must not be negative")
	ErrTooLarge = errors.New("must be at most " + Max + " (10^15)")
)

// Bounds on a quantity. The text is checked before it is parsed: the Kubernetes parser
// takes time that grows with the exponent ("1e-7010000" takes most of a second,
// "1e-70100000001" does not finish), so an unchecked request could stall the server.
// The value is bounded so that millicores and bytes stay inside int64 (beyond about
// 9e15 the conversions would overflow without an error). Real requests never come near.
const (
	MaxTextLen        = 64
	MaxExponentDigits = 3
	Max               = "1P"
)

var maxQuantity = k8sresource.MustParse(Max)

// List is an amount of every resource.
type List struct {
	MilliCPU         int64 `json:"MilliCPU"`
	Memory           int64 `json:"Memory"`
	GPU              int64 `json:"GPU"`
	EphemeralStorage int64 `json:"EphemeralStorage"`
}

// ParseQuantity parses a Kubernetes quantity between 0 and Max. "" parses as zero.
func ParseQuantity(s string) (k8sresource.Quantity, error) {
	if s == "" {
		return k8sresource.Quantity{}, nil
	}
	if !boundedText(s) {
		return k8sresource.Quantity{}, fmt.Errorf("is not a quantity of at most %d characters with an exponent of at most %d digits", MaxTextLen, MaxExponentDigits)
	}
	q, err := k8sresource.ParseQuantity(s)
	switch {
	case err != nil:
		return q, fmt.Errorf("%q is not a quantity (examples: 8, 500m, 256Gi)", s)
	case q.Sign() < 0:
		return q, ErrNegative
	case q.Cmp(maxQuantity) > 0:
		return q, ErrTooLarge
	}
	return q, nil
}

// boundedText reports whether s is short enough, and its exponent small enough, to be
// parsed and compared in bounded time.
func boundedText(s string) bool {
	if len(s) > MaxTextLen {
		return false
	}
	i := strings.IndexAny(s, "eE")
	if i < 0 {
		return true
	}
	exp := strings.TrimLeft(s[i+1:], "+-")
	if exp == "i" {
		return true // the binary suffix Ei
	}
	return len(strings.TrimLeft(exp, "0")) <= MaxExponentDigits
}

// ParseMilli parses a quantity into thousandths (cpu).
func ParseMilli(s string) (int64, error) {
	q, err := ParseQuantity(s)
	return q.MilliValue(), err
}

// ParseValue parses a quantity into whole units, rounding up (bytes, devices).
func ParseValue(s string) (int64, error) {
	q, err := ParseQuantity(s)
	return q.Value(), err
}

// ParseGPU parses a GPU count, which must be a whole number.
func ParseGPU(s string) (int64, error) {
	q, err := ParseQuantity(s)
	if err != nil {
		return 0, err
	}
	if q.MilliValue()%1000 != 0 {
		return 0, fmt.Errorf("%q is not a whole number of devices", s)
	}
	return q.Value(), nil
}

// Add returns l + o.
func (l List) Add(o List) List {
	return List{l.MilliCPU + o.MilliCPU, l.Memory + o.Memory, l.GPU + o.GPU, l.EphemeralStorage + o.EphemeralStorage}
}

// Sub returns l − o.
func (l List) Sub(o List) List {
	return List{l.MilliCPU - o.MilliCPU, l.Memory - o.Memory, l.GPU - o.GPU, l.EphemeralStorage - o.EphemeralStorage}
}

// Scale returns l × n, each amount capped at math.MaxInt64 where the product of
// non-negative numbers would not fit: a huge replica count must compare as more than
// any node has, never wrap around to a small number.
func (l List) Scale(n int64) List {
	return List{mulCapped(l.MilliCPU, n), mulCapped(l.Memory, n), mulCapped(l.GPU, n), mulCapped(l.EphemeralStorage, n)}
}

func mulCapped(v, n int64) int64 {
	if v < 0 || n < 0 {
		return v * n
	}
	hi, lo := bits.Mul64(uint64(v), uint64(n))
	if hi != 0 || lo > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(lo)
}

// Fits reports whether l fits in free; when it does not, it names the first resource
// that is short, GPUs first since they are what GPU clusters run out of.
func (l List) Fits(free List) (ok bool, short string) {
	switch {
	case l.GPU > free.GPU:
		return false, GPU
	case l.MilliCPU > free.MilliCPU:
		return false, CPU
	case l.Memory > free.Memory:
		return false, Memory
	case l.EphemeralStorage > free.EphemeralStorage:
		return false, EphemeralStorage
	}
	return true, ""
}

// Get returns the amount of the named resource (cpu in millicores).
func (l List) Get(name string) int64 {
	switch name {
	case CPU:
		return l.MilliCPU
	case Memory:
		return l.Memory
	case GPU:
		return l.GPU
	case EphemeralStorage:
		return l.EphemeralStorage
	}
	return 0
}

// Format renders the amount of the named resource for people: cores, bytes with a
// binary suffix, devices.
func Format(name string, v int64) string {
	return FormatQuantity(name, Quantity(name, v))
}

// FormatQuantity renders a quantity of the named resource for people: GPUs as a plain
// count of devices ("16", never "16k"), the others in quantity syntax.
func FormatQuantity(name string, q k8sresource.Quantity) string {
	if name == GPU {
		return q.AsDec().String()
	}
	return q.String()
}

// Quantity is the amount v of the named resource (cpu in millicores) as a Kubernetes
// quantity, for exact arithmetic and formatting.
func Quantity(name string, v int64) k8sresource.Quantity {
	switch name {
	case CPU:
		return *k8sresource.NewMilliQuantity(v, k8sresource.DecimalSI)
	case Memory, EphemeralStorage:
		return *k8sresource.NewQuantity(v, k8sresource.BinarySI)
	}
	return *k8sresource.NewQuantity(v, k8sresource.DecimalSI)
}

// Strings renders every resource of l.
func (l List) Strings() map[string]string {
	return map[string]string{
		CPU:              Format(CPU, l.MilliCPU),
		Memory:           Format(Memory, l.Memory),
		GPU:              Format(GPU, l.GPU),
		EphemeralStorage: Format(EphemeralStorage, l.EphemeralStorage),
	}
}

// Max returns the larger amount of every resource of l and o.
func (l List) Max(o List) List {
	return List{max(l.MilliCPU, o.MilliCPU), max(l.Memory, o.Memory), max(l.GPU, o.GPU), max(l.EphemeralStorage, o.EphemeralStorage)}
}
