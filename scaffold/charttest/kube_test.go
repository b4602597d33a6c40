package charttest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocli/gocli/internal/kubetestenv"
	"github.com/gocli/gocli/scaffold"
)

// The API server dry-run needs a real kube-apiserver with the Istio CRDs:
// ../shared/tools/kube-testenv (beside the repository) starts one on
// loopback, through internal/kubetestenv (shared with perf/k8s). It is
// started on first use, so tests that do not need it never pay for it, and
// stopped after the package's tests.

func TestMain(m *testing.M) {
	code := m.Run()
	kube.Stop()
	os.Exit(code)
}

var kube kubetestenv.Env

func requireKube(t *testing.T) {
	t.Helper()
	kube.Require(t)
}

func kubectl(args ...string) (string, error) { return kubetestenv.Kubectl(args...) }

// TestChartServerDryRun sends every rendered object, Istio resources and
// the helm test hook included, to a real kube-apiserver with the Istio
// CRDs installed, as a server-side dry run.
func TestChartServerDryRun(t *testing.T) {
	requireKube(t)
	dir := t.TempDir()
	for _, file := range writeRendered(t, dir, "default") {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".yaml"), func(t *testing.T) {
			out, err := kubectl("apply", "--dry-run=server", "--namespace", "default", "-f", file)
			if err != nil {
				t.Fatalf("kube-apiserver rejected %s: %v\n%s", filepath.Base(file), err, out)
			}
			want := []string{"statefulset.apps/user", "service/user-peers", "poddisruptionbudget.policy/user", "networkpolicy.networking.k8s.io/user", "pod/user-test-api"}
			if strings.HasPrefix(filepath.Base(file), "istio-defaults") {
				want = append(want, "virtualservice.networking.istio.io/user", "destinationrule.networking.istio.io/user-peers",
					"peerauthentication.security.istio.io/user", "authorizationpolicy.security.istio.io/user")
			}
			for _, w := range want {
				if !strings.Contains(out, w) || !strings.Contains(out, "(server dry run)") {
					t.Errorf("dry run output lacks %s:\n%s", w, out)
				}
			}
		})
	}
}

// TestServerDryRunRejectsInvalid proves the dry run validates: a broken
// Istio resource and a broken core object are refused.
func TestServerDryRunRejectsInvalid(t *testing.T) {
	requireKube(t)
	manifest, err := renderChart(t, generateChart(t, scaffold.TemplateIstio, 0), "default", nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string][2]string{
		"istio enum":   {"mode: STRICT", "mode: SOMETIMES"},
		"core schema":  {"podManagementPolicy: Parallel", "podManagementPolicy: Whenever"},
		"istio schema": {"consecutive5xxErrors: 5", "consecutive5xxErrors: five"},
	}
	for name, repl := range tests {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(manifest, repl[0]) {
				t.Fatalf("rendered manifest has no %q", repl[0])
			}
			p := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(p, []byte(strings.Replace(manifest, repl[0], repl[1], 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			if out, err := kubectl("apply", "--dry-run=server", "--namespace", "default", "-f", p); err == nil {
				t.Fatalf("kube-apiserver accepted %q:\n%s", repl[1], out)
			}
		})
	}
}
