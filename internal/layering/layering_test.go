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

var pure = []string{
	"internal/store", "internal/runtime", "internal/httpapi", "internal/usecase",
	"internal/controller", "internal/server", "std:net/http", "std:os/exec", "std:database/sql",
}

var rules = []rule{
	{"api/v1", []string{""}, "wire types import no project package"},
	{"internal/workload", pure, "the workload domain is pure"},
	{"internal/resource", pure, "quantities are pure"},
	{"internal/inventory", pure, "the inventory domain is pure"},
	{"internal/opsjob", pure, "the ops-job domain is pure; its runners live in internal/controller/opsjobs"},
	{"internal/scheduler", pure, "the scheduler is pure: snapshot in, plan out"},
	{"internal/auth", []string{"internal/store", "internal/httpapi", "std:net/http"}, "auth is pure crypto and permissions"},
	{"internal/httpapi", []string{"internal/store/sqlite", "internal/store/postgres", "internal/runtime/process", "internal/runtime/kube", "internal/server"}, "httpapi never names a concrete driver"},
	{"internal/usecase", []string{"internal/store/sqlite", "internal/store/postgres", "internal/runtime/process", "internal/runtime/kube", "internal/httpapi", "std:net/http"}, "use cases know only the seams"},
	{"internal/controller", []string{"internal/store/sqlite", "internal/store/postgres", "internal/runtime/process", "internal/runtime/kube", "internal/httpapi"}, "the loops know only the seams"},
	{"internal/cli", []string{"internal/"}, "the CLI speaks only through client and api/v1"},
	{"client", []string{"internal/"}, "the client is public: it cannot use internal packages"},
}

func TestImportRules(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "../../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		for _, r := range rules {
			if pkg != r.from && !strings.HasPrefix(pkg, r.from+"/") {
				continue
			}
			checked++
			for _, imp := range fields[1:] {
				if denied(imp, r.deny) {
					t.Errorf("%s imports %s: %s", pkg, imp, r.why)
				}
			}
		}
	}
	if checked < 5 {
		t.Fatalf("only %d packages matched a rule: is the module path %q right?", checked, module)
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
