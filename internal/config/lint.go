package config

// Lint is the `lint:` section of gocli.yaml.
//
//	lint:
//	  rules: [goroutine-leak]      # or single rule names; default: all
//	  exclude: [internal/legacy/, "*_gen.go"]
//	  baseline: .gocli-lint-baseline.json
type Lint struct {
	// Rules enabled when --rule is not given: rule names or "goroutine-leak".
	Rules []string `yaml:"rules,omitempty"`
	// Exclude drops findings in matching paths (relative to the module
	// root; a trailing "/" names a directory, otherwise path.Match syntax).
	Exclude []string `yaml:"exclude,omitempty"`
	// Baseline is the baseline file used when --baseline is not given.
	Baseline string `yaml:"baseline,omitempty"`
}
