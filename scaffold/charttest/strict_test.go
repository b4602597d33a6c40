package charttest

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// TestChartStrictTypes decodes every rendered core object strictly into
// its Kubernetes Go type: an unknown or misspelt field, or a value of the
// wrong type, fails here even without an API server (the server-side dry
// run in kube_test.go checks the rest, Istio included).
func TestChartStrictTypes(t *testing.T) {
	newObj := map[string]func() any{
		"ServiceAccount":      func() any { return &corev1.ServiceAccount{} },
		"Service":             func() any { return &corev1.Service{} },
		"Pod":                 func() any { return &corev1.Pod{} },
		"StatefulSet":         func() any { return &appsv1.StatefulSet{} },
		"PodDisruptionBudget": func() any { return &policyv1.PodDisruptionBudget{} },
		"NetworkPolicy":       func() any { return &networkingv1.NetworkPolicy{} },
	}
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			manifest, err := renderChart(t, generateChart(t, c.template, c.replicas), "default", c.values)
			if err != nil {
				t.Fatal(err)
			}
			seen := 0
			for _, obj := range objects(t, manifest) {
				kind, _ := obj["kind"].(string)
				mk, ok := newObj[kind]
				if !ok {
					continue // Istio kinds: validated by the API server's CRD schemas
				}
				b, err := yaml.Marshal(obj)
				if err != nil {
					t.Fatal(err)
				}
				if err := yaml.UnmarshalStrict(b, mk()); err != nil {
					t.Errorf("%s %v: %v", kind, field(obj, "metadata.name"), err)
				}
				seen++
			}
			if seen < len(newObj) {
				t.Fatalf("only %d core objects decoded", seen)
			}
		})
	}
}
