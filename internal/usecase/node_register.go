package usecase

import (
	"context"
	"errors"
	"maps"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/auth"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/store"
	"github.com/berth-dev/berth/internal/workload"
)

// DefaultSSHPort is the port of a registered machine's SSH server when the request
// names none.
const DefaultSSHPort = 22

// GPU vendors a node may declare.
var gpuVendors = []string{"", "amd", "nvidia"}

var notDNSLabelRe = regexp.MustCompile(`[^a-z0-9-]+`)

// CreateNode answers POST /api/v1/nodes: administrators register a machine Berth
// reaches over SSH, for ops jobs. It joins the cluster named (or the only one), ready
// and in no workspace (the process runtime cannot run pods on it). It returns the
// node id.
func (s *Service) CreateNode(ctx context.Context, caller *auth.User, req *apiv1.CreateNodeRequest) (string, error) {
	if !auth.IsAdmin(caller) {
		return "", forbidden("The user is not allowed to create node")
	}
	n, err := s.nodeOf(ctx, req)
	if err != nil {
		return "", err
	}
	if _, err := s.Store.NodeGet(ctx, n.ID); err == nil {
		return "", conflict("Node %s already exists", n.ID)
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	if err := s.Store.NodePut(ctx, n); err != nil {
		return "", err
	}
	s.wake()
	return n.ID, nil
}

// DeleteNode answers DELETE /api/v1/nodes/{id}: administrators remove a registered
// machine that belongs to no workspace. Nodes of the process runtime stay.
func (s *Service) DeleteNode(ctx context.Context, caller *auth.User, id string) error {
	if !auth.IsAdmin(caller) {
		return forbidden("The user is not allowed to delete node")
	}
	n, err := s.node(ctx, id)
	if err != nil {
		return err
	}
	if !n.Remote() {
		return badRequest("Node %s belongs to the process runtime: only registered machines can be deleted", id)
	}
	if n.Workspace != "" {
		return nodeTaken(n)
	}
	if err := s.Store.NodeDelete(ctx, id); errors.Is(err, store.ErrNotFound) {
		return nodeNotFound(id)
	} else if err != nil {
		return err
	}
	s.wake()
	return nil
}

// nodeOf validates a registration, reporting every problem, and builds the node.
func (s *Service) nodeOf(ctx context.Context, req *apiv1.CreateNodeRequest) (*inventory.Node, error) {
	var fe workload.FieldErrors
	add := func(field, rule string) { fe = append(fe, workload.FieldError{Field: field, Rule: rule}) }
	ip := net.ParseIP(req.PrivateIP)
	if ip == nil {
		add("privateIP", "must be an IPv4 or IPv6 address")
	}
	hostname := req.Hostname
	if hostname == "" {
		hostname = req.PrivateIP
	}
	id := nodeID(hostname)
	if !isLabelValue(hostname) || id == "" {
		add("hostname", "must be at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit")
	}
	port := req.Port
	if port == 0 {
		port = DefaultSSHPort
	}
	if port < 1 || port > 65535 {
		add("port", "must be between 1 and 65535")
	}
	if err := s.checkSSHSecret(ctx, req.SSHSecretID, &fe); err != nil {
		return nil, err
	}
	checkLabels(req.Labels, &fe)
	capacity := parseCapacity(req.Resources, &fe)
	if !slices.Contains(gpuVendors, req.GPUVendor) {
		add("gpuVendor", "must be amd, nvidia or empty")
	}
	cluster, err := s.namedOrOnlyCluster(ctx, req.ClusterID)
	if err != nil {
		return nil, err
	}
	if len(fe) > 0 {
		return nil, invalid(fe)
	}
	labels := maps.Clone(req.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[workload.HostnameLabel] = hostname
	return &inventory.Node{
		ID: id, Name: hostname, Cluster: cluster, PrivateIP: ip.String(), Labels: labels,
		Capacity: capacity, GPUVendor: req.GPUVendor, Ready: true,
		SSHAddress: net.JoinHostPort(ip.String(), strconv.Itoa(port)), SSHSecretID: req.SSHSecretID,
		CreationTime: s.now(),
	}, nil
}

// nodeID normalizes a hostname to a DNS label: lower case, every run of other
// characters a '-', at most 63 characters.
func nodeID(hostname string) string {
	id := notDNSLabelRe.ReplaceAllString(strings.ToLower(hostname), "-")
	id = strings.Trim(id, "-")
	if len(id) > 63 {
		id = strings.TrimRight(id[:63], "-")
	}
	return id
}

// checkSSHSecret adds a field error unless id names a secret of type ssh.
func (s *Service) checkSSHSecret(ctx context.Context, id string, fe *workload.FieldErrors) error {
	const rule = "must name an existing secret of type ssh"
	if id == "" {
		*fe = append(*fe, workload.FieldError{Field: "sshSecretId", Rule: rule})
		return nil
	}
	sec, err := s.Store.SecretGet(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound) || (err == nil && sec.Type != apiv1.SecretTypeSSH):
		*fe = append(*fe, workload.FieldError{Field: "sshSecretId", Rule: rule})
	case err != nil:
		return err
	}
	return nil
}

// capacityParsers parse each resource a node may offer into its field of a List.
var capacityParsers = map[string]struct {
	parse func(string) (int64, error)
	field func(*resource.List) *int64
}{
	resource.CPU:              {resource.ParseMilli, func(l *resource.List) *int64 { return &l.MilliCPU }},
	resource.Memory:           {resource.ParseValue, func(l *resource.List) *int64 { return &l.Memory }},
	resource.GPU:              {resource.ParseGPU, func(l *resource.List) *int64 { return &l.GPU }},
	resource.EphemeralStorage: {resource.ParseValue, func(l *resource.List) *int64 { return &l.EphemeralStorage }},
}

func parseCapacity(in apiv1.ResourceList, fe *workload.FieldErrors) resource.List {
	var out resource.List
	for _, name := range slices.Sorted(maps.Keys(in)) {
		p, ok := capacityParsers[name]
		if !ok {
			*fe = append(*fe, workload.FieldError{Field: "resources[" + name + "]", Rule: "must be cpu, memory, gpu or ephemeral-storage"})
			continue
		}
		v, err := p.parse(in[name])
		if err != nil {
			*fe = append(*fe, workload.FieldError{Field: "resources[" + name + "]", Rule: err.Error()})
		}
		*p.field(&out) = v
	}
	return out
}
