package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadLintSection(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ProjectFileName)
	if err := os.WriteFile(p, []byte("lint:\n  rules: [abandonedsend, syncblock]\n  exclude: [internal/legacy/]\n  baseline: lint-baseline.json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(Paths{Project: p})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Lint.Rules, ",") != "abandonedsend,syncblock" || len(cfg.Lint.Exclude) != 1 || cfg.Lint.Baseline != "lint-baseline.json" {
		t.Fatalf("lint = %+v", cfg.Lint)
	}
	if err := os.WriteFile(p, []byte("lint:\n  rulez: [x]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(Paths{Project: p}); err == nil || !strings.Contains(err.Error(), "rulez") {
		t.Fatalf("unknown lint key: err = %v", err)
	}
}
