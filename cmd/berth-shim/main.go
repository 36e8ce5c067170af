// Command berth-shim runs pods for `berth serve`: `berth-shim pod-shim DIR` and
// `berth-shim pod-init DIR` are what `berth pod-shim DIR` and `berth pod-init DIR` are,
// in a binary that links only the process runtime, so that each pod starts in a third
// of the CPU. The server uses it when it lies beside the berth binary and was built
// from the same source (internal/server/shim.go); it is never run by hand.
package main

import (
	"fmt"
	"os"

	"github.com/berth-dev/berth/internal/runtime/process"
)

func main() {
	os.Exit(process.ShimOrRun(func() int {
		fmt.Fprintln(os.Stderr, "usage: berth-shim pod-shim DIR | berth-shim pod-init DIR (started by berth serve)")
		return 2
	}))
}
