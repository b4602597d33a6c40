package runner

import (
	"go/token"
	"go/types"
	"sync"

	"golang.org/x/tools/go/analysis"

	"github.com/gocli/gocli/lint"
)

// VetAnalyzers returns the goroutine-leak analyzers for go vet's tool mode
// (unitchecker), with the same //nolint handling as gocli lint: each
// analyzer drops the diagnostics a directive with a reason suppresses, and
// a final "nolint" analyzer, which runs after all of them on each package,
// reports directives without a reason and directives that suppressed
// nothing.
func VetAnalyzers() []*analysis.Analyzer {
	state := &vetState{pkgs: map[*types.Package]*directives{}}
	all := lint.Analyzers()
	ran := map[string]bool{}
	for _, a := range all {
		ran[a.Name] = true
	}
	var wrapped []*analysis.Analyzer
	for _, a := range all {
		w := *a
		orig := a.Run
		w.Run = func(pass *analysis.Pass) (any, error) {
			ds := state.get(pass, ran)
			p := *pass
			report := pass.Report
			name := a.Name
			p.Report = func(d analysis.Diagnostic) {
				pos := pass.Fset.Position(d.Pos)
				f := Finding{Rule: name, Location: Location{File: pos.Filename, Line: pos.Line, Column: pos.Column}}
				if ds.suppressesLocked(f, &state.mu) {
					return
				}
				report(d)
			}
			return orig(&p)
		}
		wrapped = append(wrapped, &w)
	}
	check := &analysis.Analyzer{
		Name:     NolintRule,
		Doc:      "nolint: report //nolint directives for gocli's rules that give no reason or suppress nothing",
		Requires: wrapped,
		Run: func(pass *analysis.Pass) (any, error) {
			ds := state.get(pass, ran)
			state.mu.Lock()
			problems := ds.problems(func(string) bool { return false })
			state.mu.Unlock()
			for _, f := range pass.Files {
				tf := pass.Fset.File(f.Pos())
				if tf == nil {
					continue
				}
				for _, p := range problems {
					if p.Location.File == tf.Name() && p.Location.Line <= tf.LineCount() {
						pass.Report(analysis.Diagnostic{
							Pos:      tf.LineStart(p.Location.Line) + token.Pos(p.Location.Column-1),
							Category: NolintRule,
							Message:  p.Message,
						})
					}
				}
			}
			return nil, nil
		},
	}
	return append(wrapped, check)
}

// vetState holds each package's directives; go vet's driver runs the
// analyzers of one package concurrently.
type vetState struct {
	mu   sync.Mutex
	pkgs map[*types.Package]*directives
}

func (s *vetState) get(pass *analysis.Pass, ran map[string]bool) *directives {
	s.mu.Lock()
	defer s.mu.Unlock()
	ds, ok := s.pkgs[pass.Pkg]
	if !ok {
		ds = newDirectives(ran, true)
		ds.parseFiles(pass.Fset, pass.Files, func(name string) string { return name })
		s.pkgs[pass.Pkg] = ds
	}
	return ds
}

// suppressesLocked is suppresses under mu: directives count their uses.
func (ds *directives) suppressesLocked(f Finding, mu *sync.Mutex) bool {
	mu.Lock()
	defer mu.Unlock()
	return ds.suppresses(f)
}
