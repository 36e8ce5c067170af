package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSetContainerImages: the named containers get their images, * every one; a
// name that is no container is an error listing those there are.
func TestSetContainerImages(t *testing.T) {
	t.Parallel()
	path := []string{"spec", "template", "spec", "containers"}
	tests := []struct {
		name    string
		pairs   []string
		want    []string // the images after
		wantErr string
	}{
		{"one", []string{"nginx=nginx:1.26"}, []string{"nginx:1.26", "fluent-bit:3"}, ""},
		{"both", []string{"nginx=nginx:1.26", "logs=fluent-bit:4"}, []string{"nginx:1.26", "fluent-bit:4"}, ""},
		{"every one", []string{"*=busybox"}, []string{"busybox", "busybox"}, ""},
		{"a name and the rest", []string{"*=busybox", "nginx=nginx:1.26"}, []string{"nginx:1.26", "busybox"}, ""},
		{"no such container", []string{"web=nginx:1.26"}, nil, `no container "web" (its containers: nginx, logs)`},
		{"no image", []string{"nginx="}, nil, `"nginx=": want CONTAINER=IMAGE`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var obj map[string]any
			if err := json.Unmarshal([]byte(`{"spec":{"template":{"spec":{"containers":[
				{"name":"nginx","image":"nginx:1.25"},{"name":"logs","image":"fluent-bit:3"}]}}}}`), &obj); err != nil {
				t.Fatal(err)
			}
			images, err := parseImages(tt.pairs)
			if err == nil {
				err = setContainerImages(obj, path, images)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any) {
				got = append(got, c.(map[string]any)["image"].(string))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("images (-want +got):\n%s", diff)
			}
		})
	}
}
