package usecase

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/kubeconfig"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// maxClusterID keeps "<cluster>-<workspace name>" a namespace name.
const maxClusterID = 40

// CreateCluster answers POST /api/v1/clusters: administrators add a Kubernetes
// cluster by its kubeconfig, which is stored sealed. Every server connects to it
// within seconds; until then, and whenever its API server does not answer, it reads
// NotReady.
func (s *Service) CreateCluster(ctx context.Context, caller *auth.User, req *apiv1.CreateClusterRequest) (string, error) {
	if !auth.IsAdmin(caller) {
		return "", forbidden("The user is not allowed to create cluster")
	}
	id := strings.ToLower(req.Name)
	var fe workload.FieldErrors
	if id == "" {
		fe = append(fe, workload.FieldError{Field: "name", Rule: "is required"})
	} else if len(id) > maxClusterID || len(validation.IsDNS1123Label(id)) > 0 {
		fe = append(fe, workload.FieldError{Field: "name", Rule: "must be a DNS label (a-z, 0-9, '-') of at most 40 characters"})
	}
	kept, contextName, err := parseKubeconfig(req.Kubeconfig, req.KubeContext)
	var bad *kubeconfig.InvalidError
	switch {
	case strings.TrimSpace(req.Kubeconfig) == "":
		fe = append(fe, workload.FieldError{Field: "kubeconfig", Rule: "is required"})
	case errors.As(err, &bad):
		fe = append(fe, workload.FieldError{Field: "kubeconfig", Rule: "must be a kubeconfig Berth can connect with: " + bad.Reason})
	case err != nil:
		return "", err
	}
	if len(fe) > 0 {
		return "", invalid(fe)
	}
	sealed, err := s.Keys.Seal(kept)
	if err != nil {
		return "", err
	}
	c := &inventory.Cluster{ID: id, Description: req.Description, Runtime: inventory.RuntimeKube, Kubeconfig: sealed,
		CreationTime: s.now()}
	if c.Description == "" {
		c.Description = "Kubernetes cluster of context " + contextName
	}
	if err := s.Store.ClusterInsert(ctx, c); errors.Is(err, store.ErrConflict) {
		return "", newError(apiv1.CodeAlreadyExist, "the cluster %s already exists", id)
	} else if err != nil {
		return "", err
	}
	s.wake()
	return id, nil
}

// parseKubeconfig reads a kubeconfig given as text or as base64 of the text.
func parseKubeconfig(text, contextName string) (kept []byte, name string, err error) {
	data := []byte(text)
	if decoded, err := base64.StdEncoding.DecodeString(strings.TrimSpace(text)); err == nil {
		data = decoded
	}
	return kubeconfig.Parse(data, contextName)
}

// DeleteCluster answers DELETE /api/v1/clusters/{id}: administrators remove a cluster
// added through the API once no workspace belongs to it and no workload holds
// anything there (an ended one keeps its pods and logs until deleted or its TTL);
// the servers disconnect from it and drop its nodes within seconds. The cluster a
// server is started with stays.
func (s *Service) DeleteCluster(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete cluster")
	}
	c, err := s.cluster(ctx, id)
	if err != nil {
		return err
	}
	if c.Kubeconfig == nil {
		return badRequest("the cluster %s is the one a server is started with: it cannot be deleted", id)
	}
	wss, err := s.Store.WorkspaceList(ctx)
	if err != nil {
		return err
	}
	for _, ws := range wss {
		if ws.Cluster == id {
			return newError(apiv1.CodeResourceProcessing, "the cluster %s still has workspace %s: delete it first", id, ws.ID)
		}
	}
	live, err := s.Store.WorkloadListLive(ctx)
	if err != nil {
		return err
	}
	for _, w := range live {
		if w.Cluster == id { // ended, but its pods and logs in the cluster are kept until its TTL
			return newError(apiv1.CodeResourceProcessing, "the cluster %s still holds workload %s: delete it first", id, w.ID)
		}
	}
	if err := s.Store.ClusterDelete(ctx, id); errors.Is(err, store.ErrNotFound) {
		return clusterNotFound(id)
	} else if err != nil {
		return err
	}
	s.wake()
	return nil
}
