package auth

// InstanceID names this Berth installation: every server sharing the secret (and so
// the database) has the same one, another installation a different one. It is not
// secret, and tells apart what two installations create in one Kubernetes cluster.
func (k *Keys) InstanceID() string { return k.instance }
