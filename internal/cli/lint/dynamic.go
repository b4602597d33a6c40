package lint

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gocli/gocli/lint/dynamic"
	"github.com/gocli/gocli/lint/runner"
)

// runDynamic runs the tests with the leak profile, then the static
// analyzers, and marks static findings the profile confirms.
func runDynamic(ctx context.Context, opts *Options, ropts runner.Options) (*runner.Result, error) {
	dir := ropts.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		dir = wd
	}
	dir, _ = filepath.Abs(dir)
	dres, err := dynamic.Run(ctx, dynamic.Options{Dir: dir, Packages: opts.Patterns, Count: opts.Count, Run: opts.Run})
	if err != nil {
		return nil, fmt.Errorf("dynamic mode: %w", err)
	}
	for _, p := range dres.Skipped {
		opts.Factory.Warnf("%s defines TestMain: run without the leak profile", p)
	}
	for _, p := range dres.Failed {
		opts.Factory.Warnf("%s: tests failed (leaks are still reported)", p)
	}
	static, err := runner.Run(ctx, ropts)
	if err != nil {
		return nil, err
	}
	rel := func(p string) string {
		if r, err := filepath.Rel(dir, p); err == nil && !strings.HasPrefix(r, "..") {
			return filepath.ToSlash(r)
		}
		return filepath.ToSlash(p)
	}
	res := &runner.Result{Packages: static.Packages, Findings: []runner.Finding{}}
	for _, l := range dres.Leaks {
		f := runner.Finding{
			Rule:     "leakprofile",
			Source:   "dynamic",
			Package:  l.Package,
			Location: runner.Location{File: rel(l.File), Line: l.Line, Column: 1},
			Message: fmt.Sprintf("goroutine leaked in the tests (%s, seen in %d of %d runs): blocked in %s",
				l.WaitReason, l.Runs, opts.Count, l.Function),
		}
		if file, line, ok := strings.Cut(l.CreatedAt, ":"); ok && l.CreatedAt != "" {
			n, _ := strconv.Atoi(line)
			f.Related = append(f.Related, runner.Related{Location: runner.Location{File: rel(file), Line: n, Column: 1}, Message: "goroutine started here by " + l.CreatedBy})
		}
		f.Fingerprint = runner.Fingerprint(f, l.Function+"|"+l.WaitReason)
		res.Findings = append(res.Findings, f)
	}
	for _, s := range static.Findings {
		for _, d := range res.Findings {
			if confirms(d, s) {
				s.Confirmed = true
			}
		}
		res.Findings = append(res.Findings, s)
	}
	if ropts.Baseline != nil {
		res.Findings, res.Baselined = ropts.Baseline.Filter(res.Findings)
	}
	res.Suppressed, res.Excluded = static.Suppressed, static.Excluded
	return res, nil
}

// confirms reports whether a dynamic leak d is the one static finding s
// describes: the blocking or creation lines are within three lines.
func confirms(d, s runner.Finding) bool {
	near := func(a, b runner.Location) bool {
		return a.File == b.File && a.Line-b.Line <= 3 && b.Line-a.Line <= 3
	}
	dl := append([]runner.Location{d.Location}, relatedLocs(d)...)
	sl := append([]runner.Location{s.Location}, relatedLocs(s)...)
	for _, a := range dl {
		for _, b := range sl {
			if near(a, b) {
				return true
			}
		}
	}
	return false
}

func relatedLocs(f runner.Finding) []runner.Location {
	var out []runner.Location
	for _, r := range f.Related {
		out = append(out, r.Location)
	}
	return out
}
