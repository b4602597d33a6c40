package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Action says what a run does to one file.
type Action string

// Actions in a Plan.
const (
	ActionCreate    Action = "create"
	ActionOverwrite Action = "overwrite"
	ActionSkip      Action = "skip"
)

// PlannedFile is one entry of a Plan.
type PlannedFile struct {
	Path   string      `json:"path"`
	Size   int         `json:"size"`
	Mode   fs.FileMode `json:"mode"`
	Action Action      `json:"action"`
	// Engine marks files copied from gocli's consensus engine.
	Engine bool `json:"engine,omitempty"`
}

// Plan is what a run did, or would do with DryRun.
type Plan struct {
	Spec   Spec          `json:"spec"`
	Dir    string        `json:"dir"`
	DryRun bool          `json:"dryRun"`
	Files  []PlannedFile `json:"files"`
	// Elapsed is how long rendering (and writing) took.
	Elapsed time.Duration `json:"elapsedNs"`
}

// Generator turns a Spec into a project directory. Its zero value is not
// usable: Engine must hold the consensus engine's source.
type Generator struct {
	Spec Spec
	// Dir is the project directory to create (or fill, with Force).
	Dir string
	// DryRun renders and plans but writes nothing.
	DryRun bool
	// Force allows writing into a non-empty Dir; files are then handled
	// by their IfExists policy.
	Force bool
	// Engine is gocli's module source holding consensus/ (see package
	// gocli's Source); its non-test Go files are copied into the project.
	Engine fs.FS
	// EngineModule is the import path the engine's files use
	// (github.com/gocli/gocli/consensus), rewritten on copy.
	EngineModule string
	// Version is the gocli version named in generated headers.
	Version string
}

// Run validates the spec and the target, renders the whole tree in
// memory, and writes it atomically unless DryRun is set. On any error
// nothing is left on disk. Errors wrapping ErrInvalidSpec are bad input.
func (g *Generator) Run(ctx context.Context) (*Plan, error) {
	start := time.Now()
	spec := g.Spec
	spec.Defaults()
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	target, err := checkTarget(g.Dir, g.Force)
	if err != nil {
		return nil, err
	}
	files, err := g.Render(spec)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	plan := &Plan{Spec: spec, Dir: g.Dir, DryRun: g.DryRun}
	if err := planActions(target, files, plan); err != nil {
		return nil, err
	}
	if !g.DryRun {
		if err := writeTree(ctx, target, files, plan); err != nil {
			return nil, err
		}
	}
	plan.Elapsed = time.Since(start)
	return plan, nil
}

// Render produces every file of the project for an already validated
// spec, sorted by path.
func (g *Generator) Render(spec Spec) ([]RenderedFile, error) {
	set, ok := templateSets[spec.Template]
	if !ok {
		return nil, fmt.Errorf("unknown template %q", spec.Template)
	}
	data := newTemplateData(spec, g.version())
	files, err := renderTemplates(set.files, data)
	if err != nil {
		return nil, err
	}
	if g.Engine == nil {
		return nil, errors.New("no consensus engine source to copy")
	}
	engine, err := copyEngine(g.Engine, g.engineModule(), data.EngineImport, g.version())
	if err != nil {
		return nil, fmt.Errorf("copy consensus engine: %w", err)
	}
	files = append(files, engine...)
	seen := map[string]bool{}
	for _, f := range files {
		if seen[f.Path] {
			return nil, fmt.Errorf("two generated files share the path %s", f.Path)
		}
		seen[f.Path] = true
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

func (g *Generator) version() string {
	if g.Version == "" {
		return "dev"
	}
	return g.Version
}

func (g *Generator) engineModule() string {
	if g.EngineModule == "" {
		return "github.com/gocli/gocli/consensus"
	}
	return g.EngineModule
}

// target is the checked destination.
type target struct {
	dir    string
	exists bool
}

func invalid(field, value, reason string) error {
	return &SpecError{Fields: []*FieldError{{Field: field, Value: value, Reason: reason}}}
}

// checkTarget accepts an absent directory whose parent exists, an empty
// directory, or with force any directory.
func checkTarget(dir string, force bool) (target, error) {
	if dir == "" {
		return target{}, invalid("dir", dir, "is required")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return target{}, invalid("dir", dir, err.Error())
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		parent := filepath.Dir(abs)
		if pst, perr := os.Stat(parent); perr != nil || !pst.IsDir() {
			return target{}, invalid("dir", dir, fmt.Sprintf("its parent %s is not an existing directory: create it first", parent))
		}
		return target{dir: abs}, nil
	case err != nil:
		return target{}, invalid("dir", dir, err.Error())
	case !st.IsDir():
		return target{}, invalid("dir", dir, "exists and is not a directory")
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return target{}, invalid("dir", dir, err.Error())
	}
	if len(entries) > 0 && !force {
		return target{}, invalid("dir", dir, fmt.Sprintf("is not empty (%d entries): pass --force to write into it", len(entries)))
	}
	return target{dir: abs, exists: true}, nil
}

// planActions decides each file's action against what is on disk.
func planActions(t target, files []RenderedFile, plan *Plan) error {
	var root *os.Root
	if t.exists {
		r, err := os.OpenRoot(t.dir)
		if err != nil {
			return fmt.Errorf("open %s: %w", t.dir, err)
		}
		defer r.Close()
		root = r
	}
	var conflicts []*FieldError
	for _, f := range files {
		pf := PlannedFile{Path: f.Path, Size: len(f.Content), Mode: f.Mode, Action: ActionCreate, Engine: isEngineFile(f.Path)}
		if root != nil {
			st, err := root.Lstat(filepath.FromSlash(f.Path))
			switch {
			case errors.Is(err, fs.ErrNotExist):
			case err != nil:
				// A symlink leading out of the directory, or a file
				// where a directory must go.
				conflicts = append(conflicts, &FieldError{Field: "dir", Value: f.Path, Reason: "cannot be written inside the target: " + err.Error()})
			case !st.Mode().IsRegular():
				conflicts = append(conflicts, &FieldError{Field: "dir", Value: f.Path, Reason: "exists and is not a regular file"})
			default:
				switch f.IfExists {
				case Skip:
					pf.Action = ActionSkip
				case Error:
					conflicts = append(conflicts, &FieldError{Field: "dir", Value: f.Path, Reason: "already exists and gocli never overwrites it"})
				default:
					pf.Action = ActionOverwrite
				}
			}
		}
		plan.Files = append(plan.Files, pf)
	}
	if len(conflicts) > 0 {
		return &SpecError{Fields: conflicts}
	}
	return nil
}
