package charttest

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/gocli/gocli/scaffold"
)

// The API server dry-run needs a real kube-apiserver with the Istio CRDs:
// ../shared/tools/kube-testenv (beside the repository) starts one on
// loopback. It is started on first use, so tests that do not need it never
// pay for it, and stopped after the package's tests. GOCLI_SKIP_KUBE=1
// skips these tests with a message; a caller that already ran
// `kube-testenv up` and exported KUBE_TESTENV_DIR and KUBECONFIG shares
// its environment.

func TestMain(m *testing.M) {
	code := m.Run()
	kube.stop()
	os.Exit(code)
}

var kube kubeEnv

type kubeEnv struct {
	once  sync.Once
	tool  string
	dir   string // set when this process started the environment
	err   error
	owned bool
}

// kubeTestenvPath finds the kube-testenv script: $KUBE_TESTENV (test.sh
// exports it as an absolute path), or shared/tools/kube-testenv beside or
// inside the repository root.
func kubeTestenvPath() (string, error) {
	if p := os.Getenv("KUBE_TESTENV"); p != "" && filepath.IsAbs(p) {
		return p, nil
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	root := wd
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			return "", fmt.Errorf("no go.mod above %s", wd)
		}
		root = parent
	}
	for _, p := range []string{
		filepath.Join(root, "..", "shared", "tools", "kube-testenv"),
		filepath.Join(root, "shared", "tools", "kube-testenv"),
	} {
		if _, err := os.Stat(p); err == nil {
			return filepath.Clean(p), nil
		}
	}
	return "", fmt.Errorf("kube-testenv not found beside %s (set KUBE_TESTENV, or GOCLI_SKIP_KUBE=1 to skip)", root)
}

func (k *kubeEnv) start() {
	if os.Getenv("KUBE_TESTENV_DIR") != "" && os.Getenv("KUBECONFIG") != "" {
		return // provided by the caller
	}
	if k.tool, k.err = kubeTestenvPath(); k.err != nil {
		return
	}
	dir, err := os.MkdirTemp("", "kube-testenv-")
	if err != nil {
		k.err = err
		return
	}
	up := exec.Command("bash", k.tool, "up", "--owner-pid", strconv.Itoa(os.Getpid()), dir)
	up.Stdout, up.Stderr = io.Discard, os.Stderr
	if err := up.Run(); err != nil {
		k.err = fmt.Errorf("kube-testenv up: %w (set GOCLI_SKIP_KUBE=1 to skip these tests)", err)
		return
	}
	k.dir, k.owned = dir, true
	os.Setenv("KUBECONFIG", filepath.Join(dir, "kubeconfig"))
	os.Setenv("KUBECACHEDIR", filepath.Join(dir, "kube-cache"))
}

func (k *kubeEnv) stop() {
	if !k.owned {
		return
	}
	down := exec.Command("bash", k.tool, "down", k.dir)
	down.Stdout, down.Stderr = os.Stderr, os.Stderr
	_ = down.Run()
}

func requireKube(t *testing.T) {
	t.Helper()
	if os.Getenv("GOCLI_SKIP_KUBE") == "1" {
		t.Skip("GOCLI_SKIP_KUBE=1: not validating manifests against kube-apiserver")
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatal("kubectl is not installed (test.sh installs it)")
	}
	kube.once.Do(kube.start)
	if kube.err != nil {
		t.Fatal(kube.err)
	}
}

func kubectl(args ...string) (string, error) {
	out, err := exec.Command("kubectl", args...).CombinedOutput()
	return string(out), err
}

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
