package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-dev/berth/client"
)

// imageKind is a kind of Kubernetes-style object whose containers' images `berth
// set image` changes: where it is served, and where its containers are in it.
type imageKind struct {
	resource   string // as kubectl names it: resource.group
	path       string // the object's path, from namespace and name
	containers []string
}

// imageKinds are the kinds `berth set image` knows, by the names it takes.
var imageKinds = map[string]imageKind{
	"workload": {resource: "workload.compute.miloapis.com", path: "/apis/compute.miloapis.com/v1alpha1/namespaces/%s/workloads/%s",
		containers: []string{"spec", "template", "spec", "containers"}},
}

// setImageAttempts bounds the reads and writes of one change that others race.
const setImageAttempts = 5

func (a *app) setCommand() *cobra.Command {
	set := &cobra.Command{Use: "set", Short: "Change a field of a Kubernetes-style object (image)"}
	var namespace string
	image := &cobra.Command{
		Use:   "image workload/NAME CONTAINER=IMAGE... -n NAMESPACE",
		Short: "Change the images of a Workload's containers, as kubectl set image does for built-in kinds",
		Long: "Reads the object from Berth's Kubernetes API, sets the named containers' images (* is every\n" +
			"container) and writes it back at the version read, so that a running service rolls to them.",
		Example: "  berth set image workload/web-app nginx=nginx:1.26 -n project-myproject",
		Args:    cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if namespace == "" {
				return errors.New("a namespace is required: -n project-<workspace name>")
			}
			msg, err := setImage(cmd.Context(), c, namespace, args[0], args[1:])
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), msg)
			return nil
		},
	}
	image.Flags().StringVarP(&namespace, "namespace", "n", "", "the object's namespace, project-<workspace name>")
	set.AddCommand(image)
	return set
}

// setImage sets the images pairs name in the object target (kind/name) of
// namespace ns, and says what it did.
func setImage(ctx context.Context, c *client.Client, ns, target string, pairs []string) (string, error) {
	kindName, name, ok := strings.Cut(target, "/")
	kind, known := imageKinds[strings.TrimSuffix(kindName, "s")]
	if !ok || !known || name == "" {
		return "", fmt.Errorf("%q: want workload/NAME", target)
	}
	images, err := parseImages(pairs)
	if err != nil {
		return "", err
	}
	path := fmt.Sprintf(kind.path, url.PathEscape(ns), url.PathEscape(name))
	for attempt := 1; ; attempt++ {
		var obj map[string]any
		if err := c.Do(ctx, http.MethodGet, path, nil, nil, &obj); err != nil {
			return "", kubeError(err)
		}
		if err := setContainerImages(obj, kind.containers, images); err != nil {
			return "", fmt.Errorf("%s/%s: %w", kind.resource, name, err)
		}
		err := c.Do(ctx, http.MethodPut, path, nil, obj, nil)
		if apiErr, ok := client.AsAPIError(err); ok && apiErr.Status == http.StatusConflict && attempt < setImageAttempts {
			continue // changed since read: read it again
		}
		if err != nil {
			return "", kubeError(err)
		}
		return kind.resource + "/" + name + " image updated", nil
	}
}

// parseImages reads CONTAINER=IMAGE pairs.
func parseImages(pairs []string) (map[string]string, error) {
	out := map[string]string{}
	for _, p := range pairs {
		name, image, ok := strings.Cut(p, "=")
		if !ok || name == "" || image == "" {
			return nil, fmt.Errorf("%q: want CONTAINER=IMAGE", p)
		}
		out[name] = image
	}
	return out, nil
}

// setContainerImages sets the images of the containers of obj (at the path
// containers) that images names; "*" names every one.
func setContainerImages(obj map[string]any, containers []string, images map[string]string) error {
	var list any = obj
	for _, k := range containers {
		m, _ := list.(map[string]any)
		list = m[k]
	}
	cs, _ := list.([]any)
	var names []string
	for _, item := range cs {
		c, _ := item.(map[string]any)
		name, _ := c["name"].(string)
		names = append(names, name)
		if image, ok := images[name]; ok {
			c["image"] = image
		} else if image, ok := images["*"]; ok {
			c["image"] = image
		}
	}
	for name := range images {
		if name != "*" && !slices.Contains(names, name) {
			return fmt.Errorf("no container %q (its containers: %s)", name, strings.Join(names, ", "))
		}
	}
	return nil
}

// kubeError is the message of a Kubernetes Status error the server answered, as
// kubectl shows it; other errors pass unchanged.
func kubeError(err error) error {
	apiErr, ok := client.AsAPIError(err)
	if !ok || apiErr.Code() != "" {
		return err
	}
	var status struct {
		Message string `json:"message"`
	}
	if json.Unmarshal([]byte(apiErr.Body.ErrorMessage), &status) != nil || status.Message == "" {
		return err
	}
	return fmt.Errorf("HTTP %d: %s", apiErr.Status, status.Message)
}
