package golangci_test

import (
	"strings"
	"testing"

	"github.com/golangci/plugin-module-register/register"

	"github.com/gocli/gocli/lint"
	"github.com/gocli/gocli/lint/golangci"
)

func TestPluginRegistered(t *testing.T) {
	newPlugin, err := register.GetPlugin(golangci.Name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := newPlugin(map[string]any{"rules": []string{"abandonedsend", "syncblock"}})
	if err != nil {
		t.Fatal(err)
	}
	as, err := p.BuildAnalyzers()
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 2 || as[0].Name != "abandonedsend" || as[1].Name != "syncblock" {
		t.Fatalf("analyzers = %v", as)
	}
	if p.GetLoadMode() != register.LoadModeTypesInfo {
		t.Errorf("load mode = %q", p.GetLoadMode())
	}
	all, err := newPlugin(nil)
	if err != nil {
		t.Fatal(err)
	}
	as, _ = all.BuildAnalyzers()
	if len(as) != len(lint.Analyzers()) {
		t.Errorf("default selects %d analyzers, want all %d", len(as), len(lint.Analyzers()))
	}
}

func TestPluginRejectsBadSettings(t *testing.T) {
	newPlugin, _ := register.GetPlugin(golangci.Name)
	if _, err := newPlugin(map[string]any{"rules": []string{"nope"}}); err == nil || !strings.Contains(err.Error(), "unknown rule nope") {
		t.Errorf("unknown rule: err = %v", err)
	}
	if _, err := newPlugin(map[string]any{"rulez": []string{"x"}}); err == nil {
		t.Error("unknown setting accepted")
	}
}
