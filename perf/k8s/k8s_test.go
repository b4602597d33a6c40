package k8s

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"

	"github.com/gocli/gocli/internal/kubetestenv"
)

// kube is the kube-apiserver of the dry-run tests (shared with scaffold's
// chart tests through internal/kubetestenv).
var kube kubetestenv.Env

func TestMain(m *testing.M) {
	code := m.Run()
	kube.Stop()
	os.Exit(code)
}

func manifests(t *testing.T) ([]byte, map[string]any, map[string]any) {
	t.Helper()
	files, main, err := ScriptFiles("testdata/app/load.js", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"lib/pick.js", "load.js", "users.json"}
	for _, w := range want {
		if _, ok := files[w]; !ok {
			t.Fatalf("files %v lack %s", keys(files), w)
		}
	}
	if len(files) != len(want) || main != "load.js" {
		t.Fatalf("files %v main %s", keys(files), main)
	}
	out, err := Write(Options{
		Name: NameFromScript("testdata/app/load.js"), Namespace: "default", Image: "ghcr.io/gocli/gocli:test", Parallelism: 3,
		Script: main, Files: files, Config: []byte("perf:\n  targets:\n    staging:\n      baseURL: http://api:8080\n"),
		Args: []string{"--target=staging", "--vus=12"}, SecretEnv: "perf-secrets", CPU: "500m", Memory: "512Mi",
	})
	if err != nil {
		t.Fatal(err)
	}
	var docs []map[string]any
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var d map[string]any
		if err := dec.Decode(&d); err != nil {
			if err == io.EOF {
				break
			}
			t.Fatalf("%v\n%s", err, out)
		}
		docs = append(docs, d)
	}
	if len(docs) != 2 {
		t.Fatalf("%d documents", len(docs))
	}
	return out, docs[0], docs[1]
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestWrite(t *testing.T) {
	out, cm, job := manifests(t)
	data := cm["data"].(map[string]any)
	if !strings.Contains(data["lib__pick.js"].(string), "export function pick") || !strings.Contains(data["gocli.yaml"].(string), "baseURL: http://api:8080") {
		t.Fatalf("configmap data %v", data)
	}
	if !strings.HasPrefix(data["load.js"].(string), "import http from 'k6/http';\nimport { check }") {
		t.Fatalf("script mangled: %q", data["load.js"])
	}
	spec := job["spec"].(map[string]any)
	if spec["completionMode"] != "Indexed" || spec["completions"] != uint64(3) || spec["parallelism"] != uint64(3) {
		t.Fatalf("job spec %v", spec)
	}
	c := spec["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	args := fmt.Sprint(c["args"])
	for _, w := range []string{"perf run /work/scripts/load.js", "--segment-index=$(JOB_COMPLETION_INDEX)", "--segment-count=3", "--summary-export=-", "--config=/work/scripts/gocli.yaml", "--target=staging", "--vus=12"} {
		if !strings.Contains(args, w) {
			t.Errorf("args %s lack %s", args, w)
		}
	}
	if !strings.Contains(string(out), "gocli perf merge -") {
		t.Error("no merge step in the comment")
	}
}

func TestValidate(t *testing.T) {
	base := Options{Name: "ok", Image: "i", Parallelism: 2, Script: "a.js", Files: map[string][]byte{"a.js": nil}}
	for name, mod := range map[string]func(*Options){
		"bad name":    func(o *Options) { o.Name = "Bad_Name" },
		"parallelism": func(o *Options) { o.Parallelism = 0 },
		"image":       func(o *Options) { o.Image = "" },
		"script":      func(o *Options) { o.Script = "b.js" },
	} {
		o := base
		mod(&o)
		if _, err := Write(o); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
	if got := NameFromScript("perf/Load Test_v2.js"); got != "perf-load-test-v2" {
		t.Errorf("NameFromScript = %q", got)
	}
}

func TestServerSideDryRun(t *testing.T) {
	kube.Require(t)
	out, _, _ := manifests(t)
	p := filepath.Join(t.TempDir(), "job.yaml")
	if err := os.WriteFile(p, out, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := kubetestenv.Kubectl("apply", "--dry-run=server", "--namespace", "default", "-f", p)
	if err != nil {
		t.Fatalf("kubectl apply --dry-run=server: %v\n%s\n%s", err, b, out)
	}
	for _, w := range []string{"configmap/perf-load created (server dry run)", "job.batch/perf-load created (server dry run)"} {
		if !strings.Contains(b, w) {
			t.Errorf("kubectl output lacks %q:\n%s", w, b)
		}
	}
}

// TestServerSideDryRunRejectsInvalid proves that the dry run validates: the
// API server refuses a Job with a broken field.
func TestServerSideDryRunRejectsInvalid(t *testing.T) {
	kube.Require(t)
	out, _, _ := manifests(t)
	for name, repl := range map[string][2]string{
		"completion mode": {"completionMode: Indexed", "completionMode: Sometimes"},
		"restart policy":  {"restartPolicy: Never", "restartPolicy: Always"},
	} {
		t.Run(name, func(t *testing.T) {
			if !strings.Contains(string(out), repl[0]) {
				t.Fatalf("manifest has no %q:\n%s", repl[0], out)
			}
			p := filepath.Join(t.TempDir(), "bad.yaml")
			if err := os.WriteFile(p, []byte(strings.Replace(string(out), repl[0], repl[1], 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			if b, err := kubetestenv.Kubectl("apply", "--dry-run=server", "--namespace", "default", "-f", p); err == nil {
				t.Fatalf("kube-apiserver accepted %q:\n%s", repl[1], b)
			}
		})
	}
}
