package config

import (
	"fmt"
	"time"
)

// Sandbox is the `sandbox:` section: defaults for `gocli sandbox up` that
// flags override.
//
//	sandbox:
//	  name: dev
//	  nodes: 5
//	  tick: 50ms
//	  port: 12379
type Sandbox struct {
	// Name is the default cluster name for every sandbox command.
	Name string `yaml:"name,omitempty"`
	// Nodes is the size of a new cluster.
	Nodes int `yaml:"nodes,omitempty"`
	// Tick is the raft tick, as a Go duration ("100ms").
	Tick string `yaml:"tick,omitempty"`
	// Port is the first client port (0: use free ports).
	Port *int `yaml:"port,omitempty"`
	// Processes runs one process per node by default.
	Processes bool `yaml:"processes,omitempty"`
}

// TickDuration parses Tick; zero when unset.
func (s Sandbox) TickDuration() (time.Duration, error) {
	if s.Tick == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s.Tick)
	if err != nil || d < time.Millisecond {
		return 0, fmt.Errorf("sandbox.tick: %q is not a duration of at least 1ms", s.Tick)
	}
	return d, nil
}

// Validate checks the section's values.
func (s Sandbox) Validate() error {
	if s.Nodes < 0 || s.Nodes > 15 {
		return fmt.Errorf("sandbox.nodes: %d: a sandbox has 1 to 15 nodes", s.Nodes)
	}
	if s.Port != nil && (*s.Port < 0 || *s.Port > 65235) {
		return fmt.Errorf("sandbox.port: %d: use 0 (free ports) or 1-65235", *s.Port)
	}
	_, err := s.TickDuration()
	return err
}
