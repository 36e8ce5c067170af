// Package clusters is the loop that keeps this server's fleet and the stored nodes in
// step with the clusters in the store.
//
// Every round (every Interval, and at once when woken) it connects to each cluster
// added through the API that is not connected yet, in the background, and lets go of
// the ones deleted (or deleted and added again under their name). It then records the
// nodes of the primary cluster, the one the server was started with, and of every
// connected added one. New nodes are stored: the primary's join its workspace
// (Site.Joins), an administrator binds the others. Known ones get the runtime's
// capacity, readiness and labels but keep what was set through the API (workspace,
// taints, cordon, labels). Nodes the runtime no longer lists are marked NotReady, so
// their pods fail over. Nodes of a deleted cluster are deleted.
//
// Every server runs the loop, leader or not: each needs its own runtime of every
// cluster, and several writing the same node resolve the conflict by starting again
// from what the other wrote.
package clusters
