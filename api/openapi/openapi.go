package openapi

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"sync"

	"sigs.k8s.io/yaml"
)

//go:embed *.yaml
var sources embed.FS

// rootFile is the source every area file is merged into.
const rootFile = "openapi.yaml"

// Document returns the assembled document as JSON, a copy the caller may keep.
func Document() ([]byte, error) {
	doc, err := document()
	return bytes.Clone(doc), err
}

var document = sync.OnceValues(func() ([]byte, error) {
	doc, err := assemble(sources)
	if err != nil {
		return nil, err
	}
	return json.Marshal(doc)
})

// assemble merges every area file of fsys into its root file.
func assemble(fsys fs.FS) (map[string]any, error) {
	root, err := load(fsys, rootFile)
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if name == rootFile {
			continue
		}
		area, err := load(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := merge(root, area); err != nil {
			return nil, fmt.Errorf("openapi: %s: %w", name, err)
		}
	}
	return root, nil
}

func load(fsys fs.FS, name string) (map[string]any, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", name, err)
	}
	return doc, nil
}

// merge adds an area's tags, paths and components to root.
func merge(root, area map[string]any) error {
	for key := range area {
		if key != "tags" && key != "paths" && key != "components" {
			return fmt.Errorf("top-level %q: an area file holds only tags, paths and components", key)
		}
	}
	if tags, ok := area["tags"].([]any); ok {
		rootTags, _ := root["tags"].([]any)
		root["tags"] = append(rootTags, tags...)
	}
	if err := mergeMap(root, "paths", area["paths"], "path"); err != nil {
		return err
	}
	components, _ := area["components"].(map[string]any)
	rootComponents := child(root, "components")
	for _, section := range slices.Sorted(maps.Keys(components)) {
		if err := mergeMap(rootComponents, section, components[section], section); err != nil {
			return err
		}
	}
	return nil
}

// mergeMap adds the entries of from to parent[key], refusing one already there.
func mergeMap(parent map[string]any, key string, from any, what string) error {
	entries, _ := from.(map[string]any)
	into := child(parent, key)
	for _, name := range slices.Sorted(maps.Keys(entries)) {
		if _, dup := into[name]; dup {
			return fmt.Errorf("%s %q is defined twice", what, name)
		}
		into[name] = entries[name]
	}
	return nil
}

// child returns parent[key] as a map, adding an empty one when there is none.
func child(parent map[string]any, key string) map[string]any {
	m, ok := parent[key].(map[string]any)
	if !ok {
		m = map[string]any{}
		parent[key] = m
	}
	return m
}
