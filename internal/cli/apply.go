package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"
	sigsyaml "sigs.k8s.io/yaml"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/client"
)

func (a *app) applyCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "apply -f FILE",
		Short: "Create the workloads a file describes (JSON or YAML; one, a list, or several YAML documents)",
		Long: "Create workloads from the body of POST /api/v1/workloads written as JSON or YAML: one\n" +
			"object, a list of them, or several YAML documents separated by ---. -f - reads stdin.\n" +
			"The server checks each body; a refused one stops the rest.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			raw, err := readFile(cmd, file)
			if err != nil {
				return err
			}
			bodies, err := splitBodies(raw)
			if err != nil {
				return fmt.Errorf("-f %s: %w", file, err)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			for _, b := range bodies {
				id, err := createRaw(cmd.Context(), c, b)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "workload/%s created\n", id)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "filename", "f", "", "the file to read, - for stdin")
	_ = cmd.MarkFlagRequired("filename")
	return cmd
}

// readFile reads the file -f names, or stdin for -.
func readFile(cmd *cobra.Command, name string) ([]byte, error) {
	if name == "-" {
		raw, err := io.ReadAll(cmd.InOrStdin())
		if err != nil {
			return nil, fmt.Errorf("read stdin: %w", err)
		}
		return raw, nil
	}
	raw, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("-f: %w", err)
	}
	return raw, nil
}

// splitBodies turns a file into the JSON bodies it holds: each YAML document (JSON
// is YAML), and each item of a document that is a list.
func splitBodies(raw []byte) ([]json.RawMessage, error) {
	var out []json.RawMessage
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	for i := 1; ; i++ {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		text, err := yaml.Marshal(&doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		js, err := sigsyaml.YAMLToJSON(text)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		if string(bytes.TrimSpace(js)) == "null" {
			continue // an empty document
		}
		items, err := listItems(js)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		out = append(out, items...)
	}
	if len(out) == 0 {
		return nil, errors.New("holds nothing to create")
	}
	return out, nil
}

// listItems is the items of a JSON list, or the JSON object alone; each must be an
// object.
func listItems(js []byte) ([]json.RawMessage, error) {
	items := []json.RawMessage{js}
	if isJSON(js, '[') {
		if err := json.Unmarshal(js, &items); err != nil {
			return nil, err
		}
	}
	for i, it := range items {
		if !isJSON(it, '{') {
			return nil, fmt.Errorf("item %d: must be a JSON or YAML object, not %.40s", i+1, it)
		}
	}
	return items, nil
}

// isJSON reports whether the JSON value js starts with the delimiter open.
func isJSON(js []byte, open byte) bool {
	js = bytes.TrimSpace(js)
	return len(js) > 0 && js[0] == open
}

// createRaw sends body as is, so that the server judges every field of it.
func createRaw(ctx context.Context, c *client.Client, body []byte) (string, error) {
	var out apiv1.CreateWorkloadResponse
	err := c.DoRaw(ctx, http.MethodPost, client.PrefixV1+"/workloads", nil, bytes.NewReader(body), &out)
	return out.WorkloadID, err
}
