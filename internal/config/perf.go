package config

import (
	"fmt"
	"net/url"
	"os"
	"sort"
)

// Perf is the `perf:` section of gocli.yaml: named load-test targets and
// the default script.
//
//	perf:
//	  script: perf/smoke.js
//	  targets:
//	    staging:
//	      baseURL: https://staging.example.com
//	      headers: {Authorization: "Bearer ${STAGING_TOKEN}"}
//	      insecureSkipVerify: false
type Perf struct {
	// Script is run by `gocli perf` when no script is given.
	Script string `yaml:"script,omitempty"`
	// Targets maps a name (--target NAME) to an environment.
	Targets map[string]PerfTarget `yaml:"targets,omitempty"`
}

// PerfTarget is one environment a load test can run against. The script
// sees BaseURL as __ENV.BASE_URL and the name as __ENV.TARGET.
type PerfTarget struct {
	BaseURL string `yaml:"baseURL"`
	// Headers are sent with every request; ${VAR} in a value is expanded
	// from the environment when the test starts, so secrets stay out of the
	// file.
	Headers            map[string]string `yaml:"headers,omitempty"`
	InsecureSkipVerify bool              `yaml:"insecureSkipVerify,omitempty"`
}

// Validate checks every target's base URL.
func (p *Perf) Validate() error {
	for _, name := range p.TargetNames() {
		t := p.Targets[name]
		u, err := url.Parse(t.BaseURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("perf.targets.%s.baseURL: %q is not an http(s) URL", name, t.BaseURL)
		}
	}
	return nil
}

// TargetNames returns the target names in order.
func (p *Perf) TargetNames() []string {
	names := make([]string, 0, len(p.Targets))
	for n := range p.Targets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// ExpandedHeaders returns the target's headers with ${VAR} expanded from
// the environment.
func (t PerfTarget) ExpandedHeaders() map[string]string {
	out := make(map[string]string, len(t.Headers))
	for k, v := range t.Headers {
		out[k] = os.ExpandEnv(v)
	}
	return out
}
