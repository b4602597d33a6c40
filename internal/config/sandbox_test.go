package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSandboxSection(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "gocli.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg, err := Load(Paths{Project: write("sandbox:\n  name: team\n  nodes: 5\n  tick: 50ms\n  port: 0\n")})
	if err != nil {
		t.Fatal(err)
	}
	s := cfg.Sandbox
	d, _ := s.TickDuration()
	if s.Name != "team" || s.Nodes != 5 || d != 50*time.Millisecond || s.Port == nil || *s.Port != 0 {
		t.Fatalf("sandbox = %+v", s)
	}
	for body, want := range map[string]string{
		"sandbox:\n  nodes: 40\n":    "sandbox.nodes",
		"sandbox:\n  tick: soon\n":   "sandbox.tick",
		"sandbox:\n  port: 99999\n":  "sandbox.port",
		"sandbox:\n  colour: blue\n": "colour",
	} {
		if _, err := Load(Paths{Project: write(body)}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", body, err, want)
		}
	}
}
