package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadMergesProjectOverUser(t *testing.T) {
	dir := t.TempDir()
	user := write(t, dir, "user/config.yaml", "output: json\nnoColor: true\n")
	project := write(t, dir, "proj/gocli.yaml", "output: text\n")

	cfg, err := Load(Paths{User: user, Project: project})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Output != "text" || !cfg.NoColor {
		t.Fatalf("merged config = %+v, want output text from project and noColor from user", cfg)
	}
	if len(cfg.Files) != 2 || cfg.Files[0] != user || cfg.Files[1] != project {
		t.Fatalf("Files = %v", cfg.Files)
	}
}

func TestLoadMissingFiles(t *testing.T) {
	dir := t.TempDir()
	cfg, err := Load(Paths{User: filepath.Join(dir, "nope.yaml"), Project: filepath.Join(dir, "gocli.yaml")})
	if err != nil {
		t.Fatalf("missing implicit files must be skipped: %v", err)
	}
	if len(cfg.Files) != 0 {
		t.Fatalf("Files = %v", cfg.Files)
	}
	_, err = Load(Paths{Project: filepath.Join(dir, "given.yaml"), ProjectExplicit: true})
	if err == nil || !strings.Contains(err.Error(), "given.yaml") {
		t.Fatalf("explicit missing file: err = %v", err)
	}
}

func TestLoadErrorsNameFileLineKey(t *testing.T) {
	tests := []struct {
		name, body string
		line       int
		key, msg   string
	}{
		{"unknown key", "output: json\ncolour: false\n", 2, "colour", "unknown key"},
		{"wrong type", "output: json\nnoColor: [1]\n", 2, "noColor", "expected true or false"},
		{"syntax", "output: [json\n", 1, "", "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, t.TempDir(), "gocli.yaml", tt.body)
			_, err := Load(Paths{Project: p})
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v (%T), want *FileError", err, err)
			}
			if fe.File != p || fe.Line != tt.line || fe.Key != tt.key || !strings.Contains(fe.Msg, tt.msg) {
				t.Fatalf("FileError = %+v, want line %d key %q msg ~%q", fe, tt.line, tt.key, tt.msg)
			}
			if !strings.Contains(err.Error(), p+":"+string(rune('0'+tt.line))) {
				t.Fatalf("message %q does not name file:line", err)
			}
		})
	}
}

func TestLoadValidatesValues(t *testing.T) {
	p := write(t, t.TempDir(), "gocli.yaml", "output: xml\n")
	_, err := Load(Paths{Project: p})
	if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "use text or json") {
		t.Fatalf("err = %v", err)
	}
}

func TestFindProjectFile(t *testing.T) {
	root := t.TempDir()
	want := write(t, root, "a/gocli.yaml", "")
	deep := filepath.Join(root, "a", "b", "c")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := FindProjectFile(deep); got != want {
		t.Fatalf("FindProjectFile = %q, want %q", got, want)
	}
	if got := FindProjectFile(root); got != "" {
		t.Fatalf("FindProjectFile above the file = %q, want none", got)
	}
}

func TestMergeIntoNested(t *testing.T) {
	dst := map[string]any{"perf": map[string]any{"targets": map[string]any{"a": 1}}}
	mergeInto(dst, map[string]any{"perf": map[string]any{"targets": map[string]any{"b": 2}}})
	targets := dst["perf"].(map[string]any)["targets"].(map[string]any)
	if targets["a"] != 1 || targets["b"] != 2 {
		t.Fatalf("nested maps not merged: %v", dst)
	}
}
