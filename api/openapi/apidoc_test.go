package openapi_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/berth-dev/berth/api/openapi"
)

var update = flag.Bool("update", false, "rewrite docs/api.md from the document")

// apiDoc is the file rendered from the document, relative to this package.
const apiDoc = "../../docs/api.md"

// TestAPIDocIsCurrent: docs/api.md is what the document renders to; run
// `go test ./api/openapi -run TestAPIDocIsCurrent -update` after changing it.
func TestAPIDocIsCurrent(t *testing.T) {
	t.Parallel()
	data, err := openapi.Document()
	if err != nil {
		t.Fatal(err)
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	got := render(&doc)
	if *update {
		if err := os.WriteFile(apiDoc, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(apiDoc)
	if err != nil {
		t.Fatalf("%v (create it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what the document renders to: run go test ./api/openapi -run TestAPIDocIsCurrent -update", apiDoc)
	}
}

// document is the part of an OpenAPI document docs/api.md shows.
type document struct {
	Info struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"info"`
	Tags []struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"tags"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes map[string]struct {
			Description string `json:"description"`
		} `json:"securitySchemes"`
		Schemas struct {
			Error struct {
				Properties struct {
					ErrorCode struct {
						Description string `json:"description"`
					} `json:"errorCode"`
				} `json:"properties"`
			} `json:"Error"`
		} `json:"schemas"`
	} `json:"components"`
}

// operation is the part of an operation docs/api.md shows.
type operation struct {
	OperationID string            `json:"operationId"`
	Summary     string            `json:"summary"`
	Tags        []string          `json:"tags"`
	Security    *[]map[string]any `json:"security"`
}

// methods orders an endpoint's operations as a reader expects them.
var methods = []string{"get", "post", "put", "patch", "delete"}

func render(doc *document) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# %s\n\n", doc.Info.Title)
	b.WriteString("<!-- Rendered from the OpenAPI document in api/openapi by\n" +
		"     `go test ./api/openapi -run TestAPIDocIsCurrent -update`: edit the YAML, not this file. -->\n\n")
	b.WriteString("Every endpoint of the API, a line each. The whole description (parameters, request\n" +
		"and response schemas, errors) is the OpenAPI 3.1 document whose sources are in\n" +
		"`api/openapi` in this repository; every server serves it at `GET /api/v1/openapi.json`.\n\n")
	b.WriteString(strings.TrimSpace(doc.Info.Description) + "\n\n## Authentication\n\n")
	for _, name := range slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)) {
		desc := strings.Join(strings.Fields(doc.Components.SecuritySchemes[name].Description), " ")
		fmt.Fprintf(&b, "- `%s`: %s\n", name, desc)
	}
	b.WriteString("\nEndpoints marked *public* need none of them.\n\n## Errors\n\n")
	b.WriteString(strings.TrimSpace(doc.Components.Schemas.Error.Properties.ErrorCode.Description) + "\n")
	ops := operations(doc)
	for _, tag := range doc.Tags {
		fmt.Fprintf(&b, "\n## %s\n\n%s\n\n| Endpoint | Operation | What it does |\n|---|---|---|\n", tag.Name, tag.Description)
		for _, op := range ops[tag.Name] {
			b.WriteString(op)
		}
	}
	return b.Bytes()
}

// operations renders each operation's table row, by tag, in path order.
func operations(doc *document) map[string][]string {
	rows := map[string][]string{}
	paths := slices.Sorted(maps.Keys(doc.Paths))
	// The seed's /api/custom paths repeat /api/v1 ones: they come last.
	seedPath := func(p string) int {
		if strings.HasPrefix(p, "/api/custom/") {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(paths, func(a, b string) int { return cmp.Compare(seedPath(a), seedPath(b)) })
	for _, path := range paths {
		for _, method := range methods {
			raw, ok := doc.Paths[path][method]
			if !ok {
				continue
			}
			var op operation
			if err := json.Unmarshal(raw, &op); err != nil {
				panic(err)
			}
			summary := op.Summary
			if op.Security != nil && len(*op.Security) == 0 {
				summary += " *public*"
			}
			for _, tag := range op.Tags {
				rows[tag] = append(rows[tag], fmt.Sprintf("| `%s %s` | %s | %s |\n",
					strings.ToUpper(method), path, op.OperationID, summary))
			}
		}
	}
	return rows
}
