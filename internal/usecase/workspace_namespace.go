package usecase

import (
	"context"
	"fmt"
	"regexp"

	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/workload"
)

// namespaceRe is a Kubernetes namespace: a DNS label (RFC 1123).
var namespaceRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$`)

const namespaceRule = "must be a Kubernetes namespace: at most 63 lower-case letters, digits and '-', " +
	"starting and ending with a letter or digit (\"\": project-<name>)"

// checkNamespace checks the namespace a workspace names, if any.
func checkNamespace(fe *workload.FieldErrors, ns string) {
	if ns != "" && !namespaceRe.MatchString(ns) {
		*fe = append(*fe, workload.FieldError{Field: "namespace", Rule: namespaceRule})
	}
}

// checkNamespaceFree refuses a workspace whose namespace another workspace
// answers to already: a namespace names one workspace.
func (s *Service) checkNamespaceFree(ctx context.Context, ws *inventory.Workspace) error {
	all, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return fmt.Errorf("workspaces: %w", err)
	}
	for _, other := range all {
		if other.ID != ws.ID && other.KubeNamespace() == ws.KubeNamespace() {
			return conflict("Namespace %s is workspace %s's already", ws.KubeNamespace(), other.ID)
		}
	}
	return nil
}
