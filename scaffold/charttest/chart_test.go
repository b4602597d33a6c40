package charttest

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"testing/fstest"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"sigs.k8s.io/yaml"

	"github.com/gocli/gocli/scaffold"
)

// Helm is used here, in tests only: it never links into the gocli binary
// (test.sh checks `go list -deps ./cmd/gocli`).

// chartCase is one way of installing a generated chart.
type chartCase struct {
	name     string
	template string
	replicas int
	values   map[string]any
	// wantKinds lists the kinds the render must contain, beyond the ones
	// every render has.
	wantKinds []string
	// noKinds lists kinds that must be absent.
	noKinds []string
}

var baseKinds = []string{"ServiceAccount", "Service", "StatefulSet", "PodDisruptionBudget", "NetworkPolicy", "Pod"}

var istioKinds = []string{"VirtualService", "DestinationRule", "PeerAuthentication", "AuthorizationPolicy"}

var chartCases = []chartCase{
	{name: "plain-defaults", template: scaffold.TemplatePlain, noKinds: istioKinds},
	{name: "istio-defaults", template: scaffold.TemplateIstio, wantKinds: istioKinds},
	{name: "istio-off", template: scaffold.TemplateIstio, values: map[string]any{"istio": map[string]any{"enabled": false}}, noKinds: istioKinds},
	{name: "plain-five-ephemeral", template: scaffold.TemplatePlain, replicas: 5, values: map[string]any{
		"persistence":   map[string]any{"enabled": false},
		"networkPolicy": map[string]any{"apiFrom": []any{map[string]any{"podSelector": map[string]any{"matchLabels": map[string]any{"role": "frontend"}}}}},
	}, noKinds: istioKinds},
}

// fakeEngine stands in for the consensus engine: chart tests do not build
// the Go code.
func fakeEngine() fstest.MapFS {
	return fstest.MapFS{"consensus/doc.go": {Data: []byte("// Package consensus is the engine.\npackage consensus\n")}}
}

// generateChart writes a project for tmpl and returns its chart directory.
func generateChart(t testing.TB, tmpl string, replicas int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "user")
	g := &scaffold.Generator{Spec: scaffold.Spec{Service: "user", Template: tmpl, Replicas: replicas}, Dir: dir, Engine: fakeEngine(), Version: "v0.0.0-test"}
	if _, err := g.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "deploy", "helm", "user")
}

// renderChart renders the chart as `helm template` would, hooks included.
func renderChart(t testing.TB, chartDir, namespace string, values map[string]any) (string, error) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: common.DefaultCapabilities,
	}
	install := action.NewInstall(cfg)
	install.DryRunStrategy = action.DryRunClient
	install.Replace = true
	install.ReleaseName = "user"
	install.Namespace = namespace
	install.KubeVersion = &common.KubeVersion{Version: "v1.37.2", Major: "1", Minor: "37"}
	rel, err := install.RunWithContext(context.Background(), chrt, values)
	if err != nil {
		return "", err
	}
	r, ok := rel.(*releasev1.Release)
	if !ok {
		t.Fatalf("release is %T", rel)
	}
	var b strings.Builder
	b.WriteString(r.Manifest)
	for _, h := range r.Hooks {
		fmt.Fprintf(&b, "\n---\n# Source: %s\n%s\n", h.Path, h.Manifest)
	}
	if !strings.Contains(r.Info.Notes, "kubectl --namespace "+namespace) {
		t.Errorf("NOTES.txt not rendered: %q", r.Info.Notes)
	}
	return b.String(), nil
}

// objects splits a multi-document manifest into objects.
func objects(t testing.TB, manifest string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for doc := range strings.SplitSeq(manifest, "\n---") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatalf("rendered YAML does not parse: %v\n%s", err, doc)
		}
		if len(obj) > 0 {
			out = append(out, obj)
		}
	}
	return out
}

// field walks obj along a dotted path.
func field(obj map[string]any, path string) any {
	var cur any = obj
	for k := range strings.SplitSeq(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func byKind(objs []map[string]any) map[string][]map[string]any {
	out := map[string][]map[string]any{}
	for _, o := range objs {
		k, _ := o["kind"].(string)
		out[k] = append(out[k], o)
	}
	return out
}

func TestChartLint(t *testing.T) {
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			chartDir := generateChart(t, c.template, c.replicas)
			linter := lint.RunAll(chartDir, c.values, "default")
			for _, m := range linter.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("helm lint: %v", m)
				}
			}
		})
	}
}

func TestChartRender(t *testing.T) {
	for _, c := range chartCases {
		t.Run(c.name, func(t *testing.T) {
			chartDir := generateChart(t, c.template, c.replicas)
			manifest, err := renderChart(t, chartDir, "prod", c.values)
			if err != nil {
				t.Fatal(err)
			}
			kinds := byKind(objects(t, manifest))
			for _, k := range append(append([]string{}, baseKinds...), c.wantKinds...) {
				if len(kinds[k]) == 0 {
					t.Errorf("no %s rendered", k)
				}
			}
			for _, k := range c.noKinds {
				if len(kinds[k]) > 0 {
					t.Errorf("%s rendered, want none", k)
				}
			}
			replicas := c.replicas
			if replicas == 0 {
				replicas = scaffold.DefaultReplicas
			}
			sts := kinds["StatefulSet"][0]
			checks := map[string]any{
				"spec.replicas":            float64(replicas),
				"spec.podManagementPolicy": "Parallel",
				"spec.serviceName":         "user-peers",
				"spec.template.spec.securityContext.runAsNonRoot":        true,
				"spec.template.spec.securityContext.seccompProfile.type": "RuntimeDefault",
				"spec.template.spec.automountServiceAccountToken":        false,
			}
			for path, want := range checks {
				if got := field(sts, path); got != want {
					t.Errorf("StatefulSet %s = %v, want %v", path, got, want)
				}
			}
			ctr := field(sts, "spec.template.spec.containers").([]any)[0].(map[string]any)
			for path, want := range map[string]any{
				"securityContext.readOnlyRootFilesystem":   true,
				"securityContext.allowPrivilegeEscalation": false,
				"readinessProbe.httpGet.path":              "/readyz",
				"livenessProbe.httpGet.path":               "/healthz",
				"startupProbe.httpGet.port":                "admin",
			} {
				if got := field(ctr, path); got != want {
					t.Errorf("container %s = %v, want %v", path, got, want)
				}
			}
			if drop := fmt.Sprint(field(ctr, "securityContext.capabilities.drop")); drop != "[ALL]" {
				t.Errorf("capabilities.drop = %s, want [ALL]", drop)
			}
			if res := field(ctr, "resources.limits.memory"); res == nil {
				t.Error("no memory limit")
			}
			pvc := field(sts, "spec.volumeClaimTemplates")
			if persistent := c.values["persistence"] == nil; persistent != (pvc != nil) {
				t.Errorf("volumeClaimTemplates = %v with persistence %v", pvc, persistent)
			}
			// The PDB keeps a quorum: floor(n/2)+1 of n.
			if got := field(kinds["PodDisruptionBudget"][0], "spec.minAvailable"); got != float64(replicas/2+1) {
				t.Errorf("PDB minAvailable = %v, want %d of %d", got, replicas/2+1, replicas)
			}
			var peers map[string]any
			for _, svc := range kinds["Service"] {
				if field(svc, "metadata.name") == "user-peers" {
					peers = svc
				}
			}
			if peers == nil || field(peers, "spec.clusterIP") != "None" || field(peers, "spec.publishNotReadyAddresses") != true {
				t.Errorf("peers Service is not headless with unready addresses: %v", peers)
			}
			for _, svc := range kinds["Service"] {
				for _, p := range field(svc, "spec.ports").([]any) {
					name := p.(map[string]any)["name"].(string)
					if !strings.HasPrefix(name, "http-") && !strings.HasPrefix(name, "tcp-") {
						t.Errorf("Service port %q is not named for Istio protocol selection", name)
					}
				}
			}
			inject := field(sts, "spec.template.metadata.labels")
			wantInject := fmt.Sprint(len(c.wantKinds) > 0)
			if got := inject.(map[string]any)["sidecar.istio.io/inject"]; got != wantInject {
				t.Errorf("sidecar.istio.io/inject = %v, want %s", got, wantInject)
			}
			if len(c.wantKinds) > 0 {
				checkIstio(t, kinds)
			}
			hook := kinds["Pod"][0]
			if field(hook, "metadata.annotations").(map[string]any)["helm.sh/hook"] != "test" {
				t.Error("test Pod is not a helm test hook")
			}
		})
	}
}

func checkIstio(t *testing.T, kinds map[string][]map[string]any) {
	t.Helper()
	if got := field(kinds["PeerAuthentication"][0], "spec.mtls.mode"); got != "STRICT" {
		t.Errorf("PeerAuthentication mode = %v", got)
	}
	for _, dr := range kinds["DestinationRule"] {
		if got := field(dr, "spec.trafficPolicy.tls.mode"); got != "ISTIO_MUTUAL" {
			t.Errorf("DestinationRule %v tls = %v", field(dr, "metadata.name"), got)
		}
	}
	api := kinds["DestinationRule"][0]
	if field(api, "spec.trafficPolicy.outlierDetection.consecutive5xxErrors") == nil || field(api, "spec.trafficPolicy.connectionPool.tcp.maxConnections") == nil {
		t.Errorf("API DestinationRule lacks outlier detection or a connection pool: %v", api)
	}
	vs := kinds["VirtualService"][0]
	route := field(vs, "spec.http").([]any)[0].(map[string]any)
	if route["timeout"] != "5s" || field(route, "retries.attempts") != float64(3) {
		t.Errorf("VirtualService route = %v", route)
	}
	rules := field(kinds["AuthorizationPolicy"][0], "spec.rules").([]any)
	raft := rules[0].(map[string]any)
	principals := fmt.Sprint(field(raft["from"].([]any)[0].(map[string]any), "source.principals"))
	ports := fmt.Sprint(field(raft["to"].([]any)[0].(map[string]any), "operation.ports"))
	if principals != "[cluster.local/ns/prod/sa/user]" || ports != "[7000]" {
		t.Errorf("raft rule admits %s on %s, want only the service's identity on 7000", principals, ports)
	}
	for _, r := range rules[1:] {
		p := fmt.Sprint(field(r.(map[string]any)["to"].([]any)[0].(map[string]any), "operation.ports"))
		if strings.Contains(p, "7000") {
			t.Errorf("another rule opens the raft port: %v", r)
		}
	}
}

func TestChartSchemaRejectsBadValues(t *testing.T) {
	chartDir := generateChart(t, scaffold.TemplateIstio, 0)
	tests := map[string]map[string]any{
		"even replicas":  {"replicaCount": 4},
		"unknown key":    {"image": map[string]any{"repo": "x"}},
		"bad pull":       {"image": map[string]any{"pullPolicy": "Sometimes"}},
		"low port":       {"ports": map[string]any{"http": 80}},
		"bad duration":   {"istio": map[string]any{"virtualService": map[string]any{"timeout": "soon"}}},
		"eject majority": {"istio": map[string]any{"destinationRule": map[string]any{"outlierDetection": map[string]any{"maxEjectionPercent": 50}}}},
	}
	names := make([]string, 0, len(tests))
	for n := range tests {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			_, err := renderChart(t, chartDir, "default", tests[name])
			if err == nil || !strings.Contains(err.Error(), "schema") {
				t.Fatalf("render with %v: err = %v, want a schema error", tests[name], err)
			}
		})
	}
}

// writeRendered renders every chart case into dir, one file per case, for
// the API server dry-run.
func writeRendered(t *testing.T, dir, namespace string) []string {
	t.Helper()
	var files []string
	for _, c := range chartCases {
		manifest, err := renderChart(t, generateChart(t, c.template, c.replicas), namespace, c.values)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		p := filepath.Join(dir, c.name+".yaml")
		if err := os.WriteFile(p, []byte(manifest), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, p)
	}
	return files
}
