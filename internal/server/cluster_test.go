package server

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation"
)

func TestClusterID(t *testing.T) {
	for _, c := range []struct{ context, prefix string }{
		{"berth-test", "berth-test"},
		{"kubernetes-admin@kubernetes", "kubernetes-admin-kubernetes-"},
		{"gke_my-project_europe-west4-a_train", "gke-my-project-europe-west4-a-tra-"},
		{"arn:aws:eks:eu-west-1:123456789012:cluster/gpu", "arn-aws-eks-eu-west-1-12345678901-"},
		{"Prod", "prod-"},
	} {
		id := clusterID(c.context)
		if !strings.HasPrefix(id, c.prefix) || len(validation.IsDNS1123Label(id)) > 0 || len(id) > 40 {
			t.Errorf("clusterID(%q) = %q: want a DNS label of at most 40 characters starting %q", c.context, id, c.prefix)
		}
		if c.context == c.prefix && id != c.context {
			t.Errorf("clusterID(%q) = %q, want it unchanged", c.context, id)
		}
	}
	if clusterID("a@b") == clusterID("a_b") {
		t.Error("two contexts got one cluster id")
	}
}
