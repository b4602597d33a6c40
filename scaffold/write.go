package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
)

// writeTree writes files into t.dir so that a failure at any point
// leaves the disk as it was.
//
// An absent target is built complete in a sibling temporary directory and
// renamed into place: one atomic step. An existing target (empty, or any
// with --force) gets a temporary directory inside itself, so every rename
// stays on one filesystem; files are then moved in one by one through an
// os.Root (which refuses symlinks and ".." leading outside), replaced files
// are kept aside, and a failure moves everything back.
func writeTree(ctx context.Context, t target, files []RenderedFile, plan *Plan) error {
	if !t.exists {
		return writeNew(ctx, t.dir, files)
	}
	return writeInto(ctx, t.dir, files, plan)
}

func writeNew(ctx context.Context, dir string, files []RenderedFile) (err error) {
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".gocli-")
	if err != nil {
		return fmt.Errorf("create temporary directory: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	root, err := os.OpenRoot(tmp)
	if err != nil {
		return fmt.Errorf("open %s: %w", tmp, err)
	}
	defer root.Close()
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(root, f.Path, f); err != nil {
			return err
		}
	}
	// MkdirTemp makes the directory 0700; a project directory is 0755.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("chmod %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("move the generated project into place: %w", err)
	}
	return nil
}

func writeFile(root *os.Root, rel string, f RenderedFile) error {
	native := filepath.FromSlash(rel)
	if d := filepath.Dir(native); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("create directory %s: %w", d, err)
		}
	}
	out, err := root.OpenFile(native, os.O_WRONLY|os.O_CREATE|os.O_EXCL, f.Mode)
	if err != nil {
		return fmt.Errorf("create %s: %w", rel, err)
	}
	if _, err := out.Write(f.Content); err != nil {
		out.Close()
		return fmt.Errorf("write %s: %w", rel, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("write %s: %w", rel, err)
	}
	return nil
}

// testHookMove, when set by tests, runs before each file is moved into an
// existing directory; an error simulates a failure half-way through.
var testHookMove func(rel string) error

// undo is one step to reverse when a later one fails.
type undo func() error

func writeInto(ctx context.Context, dir string, files []RenderedFile, plan *Plan) (err error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("open %s: %w", dir, err)
	}
	defer root.Close()
	tmp, err := mkdirTempIn(root, ".gocli-")
	if err != nil {
		return err
	}
	var undos []undo
	defer func() {
		if err != nil {
			for i := len(undos) - 1; i >= 0; i-- {
				if uerr := undos[i](); uerr != nil {
					err = errors.Join(err, fmt.Errorf("roll back: %w", uerr))
				}
			}
		}
		if rerr := root.RemoveAll(tmp); rerr != nil && err == nil {
			err = fmt.Errorf("remove %s: %w", tmp, rerr)
		}
	}()

	actions := make(map[string]Action, len(plan.Files))
	for _, pf := range plan.Files {
		actions[pf.Path] = pf.Action
	}
	// Stage every file first: most failures (disk full, permissions)
	// happen here, before the project is touched.
	for _, f := range files {
		if actions[f.Path] == ActionSkip {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := writeFile(root, path.Join(tmp, "new", f.Path), f); err != nil {
			return err
		}
	}
	for _, f := range files {
		act := actions[f.Path]
		if act == ActionSkip {
			continue
		}
		if testHookMove != nil {
			if err := testHookMove(f.Path); err != nil {
				return err
			}
		}
		native := filepath.FromSlash(f.Path)
		created, err := mkdirAllTracked(root, filepath.Dir(native))
		// Undos run last first, so the outermost directory goes last.
		for _, d := range created {
			undos = append(undos, func() error { return root.Remove(d) })
		}
		if err != nil {
			return err
		}
		if act == ActionOverwrite {
			backup := filepath.Join(tmp, "old", native)
			if err := root.MkdirAll(filepath.Dir(backup), 0o755); err != nil {
				return fmt.Errorf("create backup directory: %w", err)
			}
			if err := root.Rename(native, backup); err != nil {
				return fmt.Errorf("set aside %s: %w", f.Path, err)
			}
			undos = append(undos, func() error { return root.Rename(backup, native) })
		}
		if err := root.Rename(filepath.Join(tmp, "new", native), native); err != nil {
			return fmt.Errorf("move %s into place: %w", f.Path, err)
		}
		undos = append(undos, func() error { return root.Remove(native) })
	}
	return nil
}

// mkdirTempIn creates a uniquely named directory at the top of root.
func mkdirTempIn(root *os.Root, prefix string) (string, error) {
	for i := 0; i < 100; i++ {
		name := fmt.Sprintf("%s%d-%d", prefix, os.Getpid(), i)
		err := root.Mkdir(name, 0o700)
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("create temporary directory: %w", err)
		}
	}
	return "", errors.New("create temporary directory: too many leftovers named .gocli-*")
}

// mkdirAllTracked is MkdirAll that returns the directories it created,
// outermost first, so they can be removed on rollback.
func mkdirAllTracked(root *os.Root, dir string) ([]string, error) {
	if dir == "." || dir == "" {
		return nil, nil
	}
	st, err := root.Stat(dir)
	if err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("%s exists and is not a directory", dir)
		}
		return nil, nil
	}
	created, err := mkdirAllTracked(root, filepath.Dir(dir))
	if err != nil {
		return created, err
	}
	if err := root.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
		return created, fmt.Errorf("create directory %s: %w", dir, err)
	}
	return append(created, dir), nil
}
