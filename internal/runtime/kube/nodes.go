package kube

import (
	"context"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
)

// Nodes describes the cluster's nodes from the informer's cache, sorted by name.
func (r *Runtime) Nodes(ctx context.Context) ([]inventory.Node, error) {
	nodes, err := r.nodes.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	out := make([]inventory.Node, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, node(n))
	}
	slices.SortFunc(out, func(a, b inventory.Node) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// node is what Berth knows of a Kubernetes node: its allocatable resources, GPUs of
// either vendor, labels, taints, readiness and cordon.
func node(n *corev1.Node) inventory.Node {
	alloc := n.Status.Allocatable
	out := inventory.Node{
		ID: n.Name, Name: n.Name, Labels: maps.Clone(n.Labels), Unschedulable: n.Spec.Unschedulable,
		Capacity: resource.List{
			MilliCPU:         alloc.Cpu().MilliValue(),
			Memory:           alloc.Memory().Value(),
			EphemeralStorage: alloc.StorageEphemeral().Value(),
		},
	}
	for _, vendor := range []string{"nvidia", "amd"} {
		if q, ok := alloc[gpuResource(vendor)]; ok && q.Value() > 0 {
			out.Capacity.GPU, out.GPUVendor = q.Value(), vendor
			break
		}
	}
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			out.PrivateIP = a.Address
		}
	}
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			out.Ready = c.Status == corev1.ConditionTrue
		}
	}
	for _, t := range n.Spec.Taints {
		out.Taints = append(out.Taints, apiv1.Taint{Key: t.Key, Value: t.Value, Effect: string(t.Effect)})
	}
	return out
}

// vendorOf is the GPU vendor of the named node ("" when unknown or without GPUs).
func (r *Runtime) vendorOf(name string) string {
	n, err := r.nodes.Get(name)
	if err != nil {
		return ""
	}
	return node(n).GPUVendor
}
