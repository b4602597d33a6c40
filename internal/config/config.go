// Package config loads gocli's settings: the user file under the XDG config
// directory, with the project's gocli.yaml (found by walking up from the
// working directory) merged over it. Both are decoded strictly, so a typo or a
// wrong type is an error naming the file, line and key rather than a setting
// silently ignored.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"github.com/adrg/xdg"
	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/token"
)

// ProjectFileName is the project configuration file searched for from the
// working directory up to the filesystem root.
const ProjectFileName = "gocli.yaml"

// Config is the merged configuration. Each capability owns one section.
type Config struct {
	// Output is the default output format ("text" or "json") when --output
	// is not given.
	Output string `yaml:"output,omitempty"`
	// NoColor disables colour like --no-color.
	NoColor bool `yaml:"noColor,omitempty"`
	// Lint configures `gocli lint`.
	Lint Lint `yaml:"lint,omitempty"`

	// Sandbox holds defaults for gocli sandbox.
	Sandbox Sandbox `yaml:"sandbox,omitempty"`
	// Perf configures `gocli perf` (perf.go).
	Perf Perf `yaml:"perf,omitempty"`
	// Scaffold configures `gocli scaffold`.
	Scaffold Scaffold `yaml:"scaffold,omitempty"`

	// Files lists the files that were merged, lowest precedence first.
	Files []string `yaml:"-"`
}

// Validate checks values that the YAML types alone cannot.
func (c *Config) Validate() error {
	switch c.Output {
	case "", "text", "json":
	default:
		return fmt.Errorf("output: %q is not a format: use text or json", c.Output)
	}
	if err := c.Perf.Validate(); err != nil {
		return err
	}
	return c.Sandbox.Validate()
}

// Paths says where configuration is read from. Empty fields are skipped.
type Paths struct {
	// User is the per-user file, usually $XDG_CONFIG_HOME/gocli/config.yaml.
	User string
	// Project is the project file; when set explicitly (--config) it must exist.
	Project string
	// ProjectExplicit marks Project as given by the user, so a missing file
	// is an error instead of "no project config".
	ProjectExplicit bool
}

// DefaultUserPath is the per-user config file under the XDG config directory.
func DefaultUserPath() string { return filepath.Join(xdg.ConfigHome, "gocli", "config.yaml") }

// FindProjectFile walks up from dir looking for gocli.yaml and returns its
// path, or "" when there is none.
func FindProjectFile(dir string) string {
	for {
		p := filepath.Join(dir, ProjectFileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Load reads and merges the files named by p. A file that does not exist is
// skipped unless it was named explicitly.
func Load(p Paths) (*Config, error) {
	var layers []map[string]any
	cfg := &Config{}
	for _, f := range []struct {
		path     string
		required bool
	}{{p.User, false}, {p.Project, p.ProjectExplicit}} {
		if f.path == "" {
			continue
		}
		data, err := os.ReadFile(f.path)
		if errors.Is(err, fs.ErrNotExist) && !f.required {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read config %s: %w", f.path, err)
		}
		layer, err := decodeFile(f.path, data)
		if err != nil {
			return nil, err
		}
		layers = append(layers, layer)
		cfg.Files = append(cfg.Files, f.path)
	}
	merged := map[string]any{}
	for _, l := range layers {
		mergeInto(merged, l)
	}
	// Each layer was already decoded strictly, so the merged document holds
	// only known keys of the right types.
	out, err := yaml.Marshal(merged)
	if err != nil {
		return nil, fmt.Errorf("merge config: %w", err)
	}
	if err := yaml.UnmarshalWithOptions(out, cfg, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("merge config: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", cfg.Files[len(cfg.Files)-1], err)
	}
	return cfg, nil
}

// decodeFile checks one file against Config and returns it as a generic map
// for merging.
func decodeFile(path string, data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	var probe Config
	if err := yaml.UnmarshalWithOptions(data, &probe, yaml.Strict()); err != nil {
		return nil, newFileError(path, err)
	}
	if err := probe.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, newFileError(path, err)
	}
	if m == nil {
		m = map[string]any{}
	}
	return m, nil
}

// mergeInto merges src over dst: nested maps merge key by key, anything else
// from src replaces dst's value.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				mergeInto(dm, sm)
				continue
			}
			cp := map[string]any{}
			mergeInto(cp, sm)
			dst[k] = cp
			continue
		}
		dst[k] = v
	}
}

// FileError is a problem at a position in a config file.
type FileError struct {
	File string
	Line int
	Col  int
	// Key is the YAML key at fault, when known.
	Key string
	Msg string
}

func (e *FileError) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Key != "" {
		return fmt.Sprintf("config %s: key %q: %s", pos, e.Key, e.Msg)
	}
	return fmt.Sprintf("config %s: %s", pos, e.Msg)
}

func newFileError(path string, err error) error {
	fe := &FileError{File: path, Msg: err.Error()}
	var yerr yaml.Error
	if !errors.As(err, &yerr) {
		return fe
	}
	fe.Msg = yerr.GetMessage()
	tk := yerr.GetToken()
	if tk != nil && tk.Position != nil {
		fe.Line, fe.Col = tk.Position.Line, tk.Position.Column
	}
	var unknown *yaml.UnknownFieldError
	var typ *yaml.TypeError
	switch {
	case errors.As(err, &unknown):
		if tk != nil {
			fe.Key = tk.Value
		}
		fe.Msg = "unknown key (check its spelling and the section it is in)"
	case errors.As(err, &typ):
		fe.Key = keyOf(tk)
		fe.Msg = fmt.Sprintf("expected %s, got %s", kindName(typ.DstType), kindName(typ.SrcType))
	}
	return fe
}

// keyOf finds the mapping key a value token belongs to.
func keyOf(tk *token.Token) string {
	for t := tk; t != nil; t = t.Prev {
		if t.Type == token.MappingValueType && t.Prev != nil {
			return t.Prev.Value
		}
	}
	return ""
}

func kindName(t reflect.Type) string {
	if t == nil {
		return "nothing"
	}
	switch t.Kind() {
	case reflect.Map, reflect.Struct:
		return "a mapping"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t.PkgPath() == "time" {
			return "a duration"
		}
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "a string"
	}
	return t.String()
}
