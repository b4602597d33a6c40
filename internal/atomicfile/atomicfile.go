// Package atomicfile writes files so that readers never see half-written
// content: data goes to a temporary file in the destination directory, is
// synced, and only then takes the final name.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrExists reports that the destination already exists and overwriting was
// not allowed.
var ErrExists = errors.New("file already exists")

// Pending is a fully written temporary file waiting for its final name.
type Pending struct {
	tmp  string
	dest string
	// direct is set when dest is a device, pipe or socket (/dev/stdout,
	// /dev/null, a FIFO): renaming over it would replace the device node,
	// so the data went straight to it and there is nothing to commit.
	direct bool
}

// Prepare writes the output of write into a temporary file beside dest with
// the given permissions. Nothing is visible under dest until Commit; on any
// error the temporary file is removed.
func Prepare(dest string, perm fs.FileMode, write func(w io.Writer) error) (*Pending, error) {
	if st, err := os.Stat(dest); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		return writeDirect(dest, write)
	}
	dir, base := filepath.Split(dest)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", dest, err)
	}
	tmp := f.Name()
	fail := func(err error) (*Pending, error) {
		_ = f.Close()
		_ = os.Remove(tmp)
		return nil, err
	}
	if err := f.Chmod(perm); err != nil {
		return fail(fmt.Errorf("set permissions of %s: %w", dest, err))
	}
	if err := write(f); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("sync %s: %w", dest, err))
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return nil, fmt.Errorf("close %s: %w", dest, err)
	}
	return &Pending{tmp: tmp, dest: dest}, nil
}

// Commit gives the temporary file its final name. With overwrite false it
// fails with ErrExists when dest exists, atomically: a hard link never
// replaces an existing name.
func (p *Pending) Commit(overwrite bool) error {
	if p.direct {
		return nil
	}
	if overwrite {
		if err := os.Rename(p.tmp, p.dest); err != nil {
			_ = os.Remove(p.tmp)
			return fmt.Errorf("rename to %s: %w", p.dest, err)
		}
		return nil
	}
	defer os.Remove(p.tmp)
	if err := os.Link(p.tmp, p.dest); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s: %w", p.dest, ErrExists)
		}
		return fmt.Errorf("create %s: %w", p.dest, err)
	}
	return nil
}

// Discard removes the temporary file without publishing it.
func (p *Pending) Discard() {
	if p.direct {
		return
	}
	_ = os.Remove(p.tmp)
}

// Write writes dest atomically, replacing an existing file.
func Write(dest string, perm fs.FileMode, write func(w io.Writer) error) error {
	p, err := Prepare(dest, perm, write)
	if err != nil {
		return err
	}
	return p.Commit(true)
}

// WriteBytes writes data to dest atomically, replacing an existing file.
func WriteBytes(dest string, perm fs.FileMode, data []byte) error {
	return Write(dest, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// writeDirect writes to a special file in place.
func writeDirect(dest string, write func(w io.Writer) error) (*Pending, error) {
	f, err := os.OpenFile(dest, os.O_WRONLY, 0)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dest, err)
	}
	if err := write(f); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("close %s: %w", dest, err)
	}
	return &Pending{dest: dest, direct: true}, nil
}
