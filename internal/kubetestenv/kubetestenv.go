// Package kubetestenv gives tests a real kube-apiserver (with the Istio
// CRDs) from shared/tools/kube-testenv, for server-side dry runs of the
// manifests gocli generates. It is imported by tests only, so nothing of it
// links into the gocli binary.
//
// A package's tests hold one Env, call Require in each test that needs the
// API server (the environment starts on first use, so other tests never pay
// for it) and Stop from TestMain after m.Run:
//
//	var kube kubetestenv.Env
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		kube.Stop()
//		os.Exit(code)
//	}
//
// GOCLI_SKIP_KUBE=1 skips those tests with a message, except under CI=true,
// where a missing API server fails them: CI must never count a skipped
// validation as a pass. A caller that already ran `kube-testenv up` and
// exported KUBE_TESTENV_DIR and KUBECONFIG shares its environment.
package kubetestenv

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
)

// Env is one package's kube-testenv, started on first Require.
type Env struct {
	once  sync.Once
	tool  string
	dir   string // set when this process started the environment
	err   error
	owned bool
}

// Path finds the kube-testenv script: $KUBE_TESTENV (test.sh exports it as
// an absolute path), or shared/tools/kube-testenv beside or inside the
// repository root (the directory holding go.mod above the working
// directory, which go test sets to the package's).
func Path() (string, error) {
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
	return "", fmt.Errorf("kube-testenv not found beside %s (set KUBE_TESTENV, or GOCLI_SKIP_KUBE=1 to skip outside CI)", root)
}

func (e *Env) start() {
	if os.Getenv("KUBE_TESTENV_DIR") != "" && os.Getenv("KUBECONFIG") != "" {
		return // provided by the caller
	}
	if e.tool, e.err = Path(); e.err != nil {
		return
	}
	dir, err := os.MkdirTemp("", "kube-testenv-")
	if err != nil {
		e.err = err
		return
	}
	up := exec.Command("bash", e.tool, "up", "--owner-pid", strconv.Itoa(os.Getpid()), dir)
	up.Stdout, up.Stderr = io.Discard, os.Stderr
	if err := up.Run(); err != nil {
		e.err = fmt.Errorf("kube-testenv up: %w (set GOCLI_SKIP_KUBE=1 to skip these tests outside CI)", err)
		return
	}
	e.dir, e.owned = dir, true
	os.Setenv("KUBECONFIG", filepath.Join(dir, "kubeconfig"))
	os.Setenv("KUBECACHEDIR", filepath.Join(dir, "kube-cache"))
}

// Stop stops the environment if this process started it.
func (e *Env) Stop() {
	if !e.owned {
		return
	}
	down := exec.Command("bash", e.tool, "down", e.dir)
	down.Stdout, down.Stderr = os.Stderr, os.Stderr
	_ = down.Run()
}

// Require starts the environment once and sets KUBECONFIG, or skips the
// test under GOCLI_SKIP_KUBE=1 outside CI; anything missing fails it.
func (e *Env) Require(t testing.TB) {
	t.Helper()
	if os.Getenv("GOCLI_SKIP_KUBE") == "1" {
		if os.Getenv("CI") == "true" {
			t.Fatal("GOCLI_SKIP_KUBE=1 under CI=true: the manifests must be validated against kube-apiserver in CI")
		}
		t.Skip("GOCLI_SKIP_KUBE=1: not validating manifests against kube-apiserver")
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Fatal("kubectl is not installed (test.sh installs it)")
	}
	e.once.Do(e.start)
	if e.err != nil {
		t.Fatal(e.err)
	}
}

// Kubectl runs kubectl (KUBECONFIG is set by Require) and returns its
// combined output.
func Kubectl(args ...string) (string, error) {
	out, err := exec.Command("kubectl", args...).CombinedOutput()
	return string(out), err
}
