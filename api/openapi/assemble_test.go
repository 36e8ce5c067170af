package openapi

import (
	"strings"
	"testing"
	"testing/fstest"
)

const root = "openapi: 3.1.0\ninfo: {title: t, version: v}\ncomponents: {schemas: {A: {type: string}}}\n"

func TestAssembleRefusesConflicts(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		areas []string
		want  string
	}{
		{"a path in two areas", []string{"paths: {/a: {}}", "paths: {/a: {}}"}, `path "/a" is defined twice`},
		{"a schema of the root again", []string{"components: {schemas: {A: {type: integer}}}"}, `schemas "A" is defined twice`},
		{"a key of the root", []string{"info: {title: u}"}, `top-level "info"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			fsys := fstest.MapFS{rootFile: {Data: []byte(root)}}
			for i, area := range tc.areas {
				fsys[string(rune('a'+i))+".yaml"] = &fstest.MapFile{Data: []byte(area)}
			}
			_, err := assemble(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("assemble: %v, want an error with %q", err, tc.want)
			}
		})
	}
}

func TestAssembleMerges(t *testing.T) {
	t.Parallel()
	fsys := fstest.MapFS{rootFile: {Data: []byte(root)},
		"a.yaml": {Data: []byte("tags: [{name: a}]\npaths: {/a: {get: {}}}\ncomponents: {schemas: {B: {type: string}}}\n")},
		"b.yaml": {Data: []byte("tags: [{name: b}]\npaths: {/b: {get: {}}}\n")}}
	doc, err := assemble(fsys)
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := doc["paths"].(map[string]any)
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	tags, _ := doc["tags"].([]any)
	if len(paths) != 2 || len(schemas) != 2 || len(tags) != 2 {
		t.Errorf("merged %d paths, %d schemas, %d tags; want 2 of each: %v", len(paths), len(schemas), len(tags), doc)
	}
}
