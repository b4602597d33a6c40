// Package golangci is a golangci-lint module plugin that exposes gocli's
// goroutine-leak analyzers. Build a custom golangci-lint with it
// (.custom-gcl.yml) and enable the linter "goroutineleak"; see docs/lint.md.
//
// Settings:
//
//	linters:
//	  settings:
//	    custom:
//	      goroutineleak:
//	        type: module
//	        settings:
//	          rules: [abandonedsend, syncblock]   # default: all
package golangci

import (
	"github.com/golangci/plugin-module-register/register"
	"golang.org/x/tools/go/analysis"

	"github.com/gocli/gocli/lint"
)

// Name is the linter name to enable in .golangci.yml.
const Name = "goroutineleak"

func init() {
	register.Plugin(Name, New)
}

// Settings are the plugin's settings in .golangci.yml.
type Settings struct {
	// Rules selects rules by name, or "goroutine-leak" for all; empty means all.
	Rules []string `json:"rules"`
}

// Plugin is the golangci-lint plugin.
type Plugin struct {
	settings Settings
}

// New decodes the settings and returns the plugin.
func New(raw any) (register.LinterPlugin, error) {
	s, err := register.DecodeSettings[Settings](raw)
	if err != nil {
		return nil, err
	}
	if _, err := lint.Select(s.Rules); err != nil {
		return nil, err
	}
	return &Plugin{settings: s}, nil
}

// BuildAnalyzers returns the selected analyzers.
func (p *Plugin) BuildAnalyzers() ([]*analysis.Analyzer, error) {
	return lint.Select(p.settings.Rules)
}

// GetLoadMode says the analyzers need type information.
func (p *Plugin) GetLoadMode() string { return register.LoadModeTypesInfo }
