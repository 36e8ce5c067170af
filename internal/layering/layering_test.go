package layering

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/berth-dev/berth/"

// rule forbids packages matching From (a prefix of the path after the module) to
// import any package matching one of Deny (prefixes; a leading "std:" names a
// standard-library package).
type rule struct {
	from string
	deny []string
	why  string
}

// pure is what domain packages may not import: no store, no runtime, no I/O.
var pure = []string{
	"internal/store", "internal/runtime", "internal/httpapi", "internal/usecase",
	"internal/controller", "internal/server", "internal/executor", "internal/nodefault",
	"std:net/http", "std:os/exec", "std:database/sql",
}

// notForCLI is every internal package but the CLI's own: it reaches the server only
// through package client (DESIGN: cli imports only client and api/v1).
var notForCLI = []string{
	"internal/auth", "internal/buildinfo", "internal/controller", "internal/endpoint",
	"internal/executor", "internal/httpapi", "internal/inventory", "internal/kubeapi", "internal/kubeconfig",
	"internal/layering", "internal/nodefault", "internal/opsjob", "internal/resource",
	"internal/runtime", "internal/scheduler", "internal/server", "internal/store",
	"internal/testenv", "internal/tlssniff", "internal/usecase", "internal/watch", "internal/workload",
	"cmd/", "bench/", "test/",
}

// drivers are the concrete stores and runtimes: only the composition root picks them.
var drivers = []string{"internal/store/sqlite", "internal/store/postgres", "internal/runtime/process", "internal/runtime/kube"}

// rules hold for every package of the module; TestEveryPackageHasARule checks that
// each package matches one and each rule some package.
var rules = []rule{
	{"api/v1", []string{""}, "wire types import no project package"},
	{"api/openapi", []string{"internal/", "cmd/", "bench/", "test/", "client"}, "the API's document and its checker describe the wire, not the server's insides"},
	{"client", []string{"internal/", "cmd/", "bench/", "test/"}, "the client is public: it cannot use internal packages"},
	{"cmd/berth", []string{"internal/controller", "internal/usecase", "internal/httpapi", "internal/store", "internal/scheduler", "internal/workload", "internal/opsjob"}, "main only starts the server (and the pod shim)"},
	{"cmd/berth-shim", []string{"internal/controller", "internal/usecase", "internal/httpapi", "internal/store", "internal/scheduler", "internal/server", "internal/runtime/kube", "internal/runtime/fleet", "internal/opsjob", "internal/executor"}, "the shim binary links the process runtime alone, so that each pod starts fast"},
	{"bench", []string{"internal/httpapi", "internal/usecase", "internal/controller", "test/"}, "benchmarks drive the binary, the planner or the store, not the server's insides"},
	{"test", []string{"internal/"}, "black-box tests see only the binary, the client and api/v1"},
	{"internal/workload", pure, "the workload domain is pure"},
	{"internal/resource", pure, "quantities are pure"},
	{"internal/inventory", pure, "the inventory domain is pure"},
	{"internal/opsjob", pure, "the ops-job domain is pure; its runners live in internal/controller/opsjobs"},
	{"internal/scheduler", pure, "the scheduler is pure: snapshot in, plan out"},
	{"internal/kubeconfig", pure, "kubeconfig checks are pure: they read no file a kubeconfig names"},
	{"internal/auth", []string{"internal/store", "internal/runtime", "internal/httpapi", "internal/usecase", "internal/controller", "std:net/http"}, "auth is pure crypto and permissions"},
	{"internal/executor", append([]string{"internal/runtime", "internal/httpapi", "internal/usecase", "internal/controller", "internal/server"}, drivers...), "the executor runs scripts on nodes over the store's seam"},
	{"internal/nodefault", append([]string{"internal/runtime", "internal/httpapi", "internal/usecase", "internal/controller", "internal/server"}, drivers...), "node faults are rules over the store's seam"},
	{"internal/store", []string{"internal/runtime", "internal/httpapi", "internal/usecase", "internal/controller", "internal/server", "internal/scheduler", "internal/executor"}, "the store keeps state; it drives nothing"},
	{"internal/store/sqlite", []string{"internal/store/postgres"}, "each store driver stands alone; what they share is rowstore"},
	{"internal/store/postgres", []string{"internal/store/sqlite"}, "each store driver stands alone; what they share is rowstore"},
	{"internal/runtime", []string{"internal/store", "internal/httpapi", "internal/usecase", "internal/controller", "internal/server", "internal/scheduler"}, "runtimes run pods; they know nothing of the store or the loops"},
	{"internal/endpoint", []string{""}, "the balancer is plain TCP: it imports no project package"},
	{"internal/runtime/fleet", []string{"internal/runtime/process", "internal/runtime/kube"}, "the fleet holds runtimes through the interface"},
	{"internal/runtime/process", []string{"internal/runtime/kube"}, "each runtime stands alone"},
	{"internal/runtime/kube", []string{"internal/runtime/process"}, "each runtime stands alone"},
	{"internal/httpapi", append([]string{"internal/server", "internal/controller"}, drivers...), "httpapi serves the use cases; it never names a concrete driver"},
	{"internal/watch", append([]string{"internal/runtime", "internal/httpapi", "internal/usecase", "internal/controller", "internal/server"}, drivers...), "watches follow the store's change log through its seam"},
	{"internal/sshserver", append([]string{"internal/httpapi", "internal/controller", "internal/server"}, drivers...), "the SSH server serves the use cases; it never names a concrete driver"},
	{"internal/usecase", append([]string{"internal/httpapi", "internal/controller", "std:net/http"}, drivers...), "use cases know only the seams"},
	{"internal/controller", append([]string{"internal/httpapi", "internal/usecase"}, drivers...), "the loops know only the seams"},
	{"internal/metrics", append([]string{"internal/httpapi", "internal/usecase", "internal/server", "internal/runtime"}, drivers...), "metrics turn what the loops, the API and the store report into Prometheus metrics; they drive nothing"},
	{"internal/server", []string{"cmd/", "bench/", "test/"}, "the composition root is started by main, never the reverse"},
	{"internal/kubeapi", append([]string{"internal/httpapi", "internal/controller", "internal/server", "internal/runtime"}, drivers...), "the Kubernetes API serves the use cases; it never names a concrete driver"},
	{"internal/tlssniff", []string{""}, "the listener is plain TCP and TLS: it imports no project package"},
	{"internal/layering", []string{""}, "the import check imports nothing it checks"},
	{"internal/testenv", []string{""}, "what a test needs of the machine is said without the project"},
	{"internal/cli", notForCLI, "the CLI speaks to the server only through client and api/v1"},
	{"internal/buildinfo", []string{"internal/", "client", "cmd/", "bench/", "test/"}, "build facts come from the toolchain alone"},
	{"internal/activity", []string{""}, "the activity recorder is a leaf the shells and the loops share"},
}

// everywhere holds for every internal package.
var everywhere = rule{"internal", []string{"cmd/", "bench/", "test/"}, "nothing inside imports main, benchmarks or tests"}

// packages lists the module's packages (path after the module) with their imports.
func packages(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	pkgs := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if pkg, ok := strings.CutPrefix(fields[0], module); ok {
			pkgs[pkg] = fields[1:]
		}
	}
	if len(pkgs) < 10 {
		t.Fatalf("only %d packages listed: is the module path %q right?", len(pkgs), module)
	}
	return pkgs
}

func (r rule) matches(pkg string) bool { return pkg == r.from || strings.HasPrefix(pkg, r.from+"/") }

func TestImportRules(t *testing.T) {
	t.Parallel()
	for pkg, imports := range packages(t) {
		for _, r := range append(rules, everywhere) {
			if !r.matches(pkg) {
				continue
			}
			for _, imp := range imports {
				if denied(imp, r.deny) {
					t.Errorf("%s imports %s: %s", pkg, imp, r.why)
				}
			}
		}
	}
}

// TestEveryPackageHasARule: a new package states where it sits, and a rule outlives
// no package.
func TestEveryPackageHasARule(t *testing.T) {
	t.Parallel()
	pkgs := packages(t)
	used := map[string]bool{}
	for pkg := range pkgs {
		found := false
		for _, r := range rules {
			if r.matches(pkg) {
				found, used[r.from] = true, true
			}
		}
		if !found {
			t.Errorf("package %s has no import rule: add one to rules", pkg)
		}
	}
	for _, r := range rules {
		if !used[r.from] {
			t.Errorf("rule for %s matches no package: remove it", r.from)
		}
	}
}

func denied(imp string, deny []string) bool {
	for _, d := range deny {
		if std, ok := strings.CutPrefix(d, "std:"); ok {
			if imp == std {
				return true
			}
			continue
		}
		if p, ok := strings.CutPrefix(imp, module); ok && (d == "" || p == d || strings.HasPrefix(p, d+"/")) {
			return true
		}
	}
	return false
}

// TestNoClockReads: the scheduler is given the time (reading the clock itself would
// make plans unrepeatable); the controller reads it only from its configured clock
// (Config.Now), so its tests can drive it.
func TestNoClockReads(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"../scheduler", "../controller"} {
		files, err := filepath.Glob(dir + "/*.go")
		if err != nil || len(files) == 0 {
			t.Fatalf("no sources found in %s: %v", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			for _, call := range []string{"time.Now(", "time.Since(", "time.Until("} {
				if strings.Contains(string(src), call) {
					t.Errorf("%s calls %s: take the clock from the caller", f, strings.TrimSuffix(call, "("))
				}
			}
		}
	}
}
