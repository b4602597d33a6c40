package runner

import (
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"sort"

	"github.com/gocli/gocli/internal/atomicfile"
)

// FixReport says what ApplyFixes changed.
type FixReport struct {
	Files []string `json:"files"`
	Fixed int      `json:"fixed"`
}

// ApplyFixes applies the first suggested fix of each finding to the files
// under dir, skipping fixes that overlap one already taken, and gofmts the
// result. Findings whose fix was applied are returned in fixed.
func ApplyFixes(dir string, fs []Finding) (*FixReport, error) {
	type edit struct {
		Edit
		finding int
	}
	byFile := map[string][]edit{}
	for i, f := range fs {
		if len(f.Fixes) == 0 {
			continue
		}
		for _, e := range f.Fixes[0].Edits {
			byFile[e.File] = append(byFile[e.File], edit{e, i})
		}
	}
	rep := &FixReport{Files: []string{}}
	fixed := map[int]bool{}
	var files []string
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, file := range files {
		edits := byFile[file]
		path := file
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, filepath.FromSlash(file))
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return rep, fmt.Errorf("apply fixes: %w", err)
		}
		sort.SliceStable(edits, func(i, j int) bool { return edits[i].Start < edits[j].Start })
		var out []byte
		last := 0
		for _, e := range edits {
			if e.Start < last || e.End > len(src) || e.Start > e.End {
				continue // overlaps an edit already applied
			}
			out = append(out, src[last:e.Start]...)
			out = append(out, e.NewText...)
			last = e.End
			fixed[e.finding] = true
		}
		out = append(out, src[last:]...)
		if formatted, err := format.Source(out); err == nil {
			out = formatted
		}
		st, err := os.Stat(path)
		if err != nil {
			return rep, fmt.Errorf("apply fixes: %w", err)
		}
		// A source file is never left half-written.
		if err := atomicfile.WriteBytes(path, st.Mode().Perm(), out); err != nil {
			return rep, fmt.Errorf("apply fixes: %w", err)
		}
		rep.Files = append(rep.Files, file)
	}
	rep.Fixed = len(fixed)
	return rep, nil
}
