package storetest

import (
	"slices"

	apiv1 "github.com/berth-dev/berth/api/v1"
	"github.com/berth-dev/berth/internal/inventory"
	"github.com/berth-dev/berth/internal/resource"
	"github.com/berth-dev/berth/internal/store"
)

var inventoryTests = slices.Concat(
	putTests("Cluster", func(s store.Store) entity[inventory.Cluster] {
		return entity[inventory.Cluster]{
			put: s.ClusterPut, get: s.ClusterGet, list: s.ClusterList,
			make: func(id string) *inventory.Cluster {
				return &inventory.Cluster{ID: id, Description: "cluster " + id, Runtime: "process", CreationTime: base}
			},
			change:  func(c *inventory.Cluster, i int) { c.Description = label(i) },
			version: func(c *inventory.Cluster) *int64 { return &c.Version },
		}
	}),
	putTests("Node", func(s store.Store) entity[inventory.Node] {
		return entity[inventory.Node]{
			put: s.NodePut, get: s.NodeGet, list: s.NodeList,
			make: func(id string) *inventory.Node {
				return &inventory.Node{
					ID: id, Name: "node-" + id, Cluster: "c1", Workspace: "ws1", PrivateIP: "10.0.0.1",
					Labels:    map[string]string{"gpu": "h100"},
					Taints:    []apiv1.Taint{{Key: "k", Value: "v", Effect: "NoSchedule"}},
					Capacity:  resource.List{MilliCPU: 64000, Memory: 512 << 30, GPU: 8, EphemeralStorage: 1 << 40},
					GPUVendor: "nvidia", Ready: true, CreationTime: at(1),
				}
			},
			change: func(n *inventory.Node, i int) {
				n.Labels[label(i)] = "x"
				n.Unschedulable = !n.Unschedulable
				n.Drain = "drain " + label(i)
			},
			version: func(n *inventory.Node) *int64 { return &n.Version },
		}
	}),
	crudTests("Workspace", func(s store.Store) entity[inventory.Workspace] {
		return entity[inventory.Workspace]{
			insert: s.WorkspaceInsert, get: s.WorkspaceGet, list: s.WorkspaceList,
			update: s.WorkspaceUpdate, remove: s.WorkspaceDelete,
			make: func(id string) *inventory.Workspace {
				return &inventory.Workspace{
					ID: id, Name: "ws " + id, Cluster: "c1", Description: "team " + id, UserID: "u1",
					QueuePolicy: "fifo", Scopes: []string{"Train", "Infer"}, EnablePreempt: true,
					Managers: []string{"u1"}, ImageSecretIDs: []string{"s1"}, CreationTime: base,
				}
			},
			change:  func(w *inventory.Workspace, i int) { w.Managers = append(w.Managers, label(i)) },
			version: func(w *inventory.Workspace) *int64 { return &w.Version },
		}
	}),
	crudTests("Secret", func(s store.Store) entity[inventory.Secret] {
		return entity[inventory.Secret]{
			insert: s.SecretInsert, get: s.SecretGet, list: s.SecretList,
			update: s.SecretUpdate, remove: s.SecretDelete,
			make: func(id string) *inventory.Secret {
				return &inventory.Secret{
					ID: id, Type: "image", WorkspaceIDs: []string{"ws1"}, UserID: "u1",
					Keys: []string{"username", "password"}, Sealed: []byte{0, 1, 2, 0xff}, CreationTime: base,
				}
			},
			change:  func(sec *inventory.Secret, i int) { sec.Sealed = append(sec.Sealed, byte(i)) },
			version: func(sec *inventory.Secret) *int64 { return &sec.Version },
		}
	}),
)
