package kubeapi

import (
	"os"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestChartGroupsAreServed: the Helm chart extends Kubernetes' edit, admin and view
// roles with exactly the API groups Berth serves, so a group added to resources.go
// is not forgotten in the chart (its users would be Forbidden by the cluster's RBAC).
func TestChartGroupsAreServed(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/helm/berth/values.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Aggregation struct{ Groups []string } `json:"aggregation"`
	}
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatalf("values.yaml: %v", err)
	}
	var served []string
	for _, gv := range GroupVersions(nil) {
		served = append(served, gv.Group)
	}
	slices.Sort(served)
	served = slices.Compact(served)
	chart := slices.Sorted(slices.Values(values.Aggregation.Groups))
	if !slices.Equal(chart, served) {
		t.Errorf("the chart's aggregation.groups are %v, Berth serves %v", chart, served)
	}
}
