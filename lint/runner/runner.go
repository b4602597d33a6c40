// Package runner loads Go packages, runs the goroutine-leak analyzers on
// them, applies //nolint directives and baselines, and renders the findings
// as text, JSON, SARIF 2.1.0 or GitHub workflow annotations.
package runner

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"go/ast"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"

	"github.com/gocli/gocli/lint"
)

// Options say what to lint and how.
type Options struct {
	// Dir is the directory patterns are resolved in and paths are shown
	// relative to; empty means the working directory.
	Dir string
	// Patterns are go/packages patterns; empty means ./...
	Patterns []string
	// Analyzers to run; see lint.Select.
	Analyzers []*analysis.Analyzer
	// Tests includes the packages' test files.
	Tests bool
	// Exclude drops findings in files whose slash-separated path relative to
	// Dir matches one of these patterns (path.Match syntax, or a directory
	// prefix ending in "/").
	Exclude []string
	// Baseline suppresses findings whose fingerprints it holds.
	Baseline *Baseline
	// Env adds environment variables for the go command (e.g. GOFLAGS).
	Env []string
	// CacheDir keeps each package's findings keyed by its sources, its
	// imports' export data and the analyzers, so unchanged packages are not
	// analysed again (see DefaultCacheDir). Empty disables the cache; it is
	// not used with Tests.
	CacheDir string
}

// Location is a source position relative to Options.Dir.
type Location struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"endLine,omitempty"`
	EndColumn int    `json:"endColumn,omitempty"`
}

func (l Location) String() string { return fmt.Sprintf("%s:%d:%d", l.File, l.Line, l.Column) }

// Related is a secondary location that explains a finding.
type Related struct {
	Location
	Message string `json:"message"`
}

// Edit replaces the bytes [Start, End) of File (relative to Options.Dir).
type Edit struct {
	File    string `json:"file"`
	Start   int    `json:"start"`
	End     int    `json:"end"`
	NewText string `json:"newText"`
	// Location of the edit, for SARIF.
	From Location `json:"from"`
	To   Location `json:"to"`
}

// Fix is one suggested fix.
type Fix struct {
	Message string `json:"message"`
	Edits   []Edit `json:"edits"`
}

// Finding is one reported problem.
type Finding struct {
	Rule        string    `json:"rule"`
	Message     string    `json:"message"`
	Package     string    `json:"package,omitempty"`
	Function    string    `json:"function,omitempty"`
	Location    Location  `json:"location"`
	Related     []Related `json:"related,omitempty"`
	Fixes       []Fix     `json:"fixes,omitempty"`
	Fingerprint string    `json:"fingerprint"`
	// Source is "static" or "dynamic"; Confirmed marks a static finding the
	// dynamic mode also observed.
	Source    string `json:"source"`
	Confirmed bool   `json:"confirmed,omitempty"`
}

// Result is the outcome of a lint run.
type Result struct {
	Findings []Finding `json:"findings"`
	// Packages is the number of packages analysed.
	Packages int `json:"packages"`
	// Suppressed counts findings silenced by //nolint directives,
	// Baselined those silenced by the baseline, Excluded those in excluded paths.
	Suppressed int `json:"suppressed"`
	Baselined  int `json:"baselined"`
	Excluded   int `json:"excluded"`
}

// LoadError reports packages that failed to load or type-check.
type LoadError struct {
	Packages []string
	Errors   []string
}

func (e *LoadError) Error() string {
	msg := fmt.Sprintf("%d package(s) did not load: %s", len(e.Packages), strings.Join(e.Packages, ", "))
	if len(e.Errors) > 0 {
		n := min(len(e.Errors), 5)
		msg += "\n\t" + strings.Join(e.Errors[:n], "\n\t")
	}
	return msg
}

// ErrNoPackages is returned when the patterns match no package.
var ErrNoPackages = errors.New("no Go packages matched")

// Run loads the packages and runs the analyzers.
func Run(ctx context.Context, opts Options) (*Result, error) {
	dir := opts.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("find working directory: %w", err)
		}
		dir = wd
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", opts.Dir, err)
	}
	patterns := opts.Patterns
	if len(patterns) == 0 {
		patterns = []string{"./..."}
	}
	if len(opts.Analyzers) == 0 {
		opts.Analyzers = lint.Analyzers()
	}
	if opts.CacheDir != "" && !opts.Tests {
		return runCached(ctx, opts, dir, patterns)
	}
	cfg := &packages.Config{
		Context: ctx,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedSyntax | packages.NeedTypesSizes | packages.NeedModule,
		Dir:   dir,
		Tests: opts.Tests,
		Env:   append(os.Environ(), opts.Env...),
	}
	pkgs, err := load(cfg, patterns)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(opts.Analyzers) == 0 {
		opts.Analyzers = lint.Analyzers()
	}
	graph, err := checker.Analyze(opts.Analyzers, pkgs, nil)
	if err != nil {
		return nil, fmt.Errorf("run analyzers: %w", err)
	}
	res := &Result{Packages: len(pkgs)}
	c := newCollector(dir, opts)
	for _, p := range pkgs {
		c.nolint.parse(p, c.rel)
	}
	for _, act := range graph.Roots {
		if act.Err != nil {
			return nil, fmt.Errorf("analyzer %s on %s: %w", act.Analyzer.Name, act.Package.PkgPath, act.Err)
		}
		for _, d := range act.Diagnostics {
			c.add(c.finding(act.Package, act.Analyzer.Name, d))
		}
	}
	c.finish(res)
	return res, nil
}

// loadErrors reports every package in the import graph of pkgs that did
// not load, parse or type-check.
func loadErrors(pkgs []*packages.Package) error {
	var all []*packages.Package
	packages.Visit(pkgs, nil, func(p *packages.Package) { all = append(all, p) })
	return typeErrors(all)
}

// collector turns diagnostics into findings and applies suppressions.
type collector struct {
	dir      string
	opts     Options
	findings []Finding
	seen     map[string]bool // rule, location and message of each finding added
	nolint   *directives
	excluded int
	nolinted int
	ran      map[string]bool
	all      bool
}

func newCollector(dir string, opts Options) *collector {
	c := &collector{dir: dir, opts: opts, ran: map[string]bool{}, seen: map[string]bool{}}
	for _, a := range opts.Analyzers {
		c.ran[a.Name] = true
	}
	c.all = true
	for _, a := range lint.Analyzers() {
		c.all = c.all && c.ran[a.Name]
	}
	c.nolint = newDirectives(c.ran, c.all)
	return c
}

func (c *collector) rel(path string) string {
	if r, err := filepath.Rel(c.dir, path); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return filepath.ToSlash(path)
}

func (c *collector) loc(fset *token.FileSet, pos, end token.Pos) Location {
	p := fset.Position(pos)
	l := Location{File: c.rel(p.Filename), Line: p.Line, Column: p.Column}
	if end.IsValid() {
		e := fset.Position(end)
		l.EndLine, l.EndColumn = e.Line, e.Column
	}
	return l
}

func (c *collector) finding(pkg *packages.Package, rule string, d analysis.Diagnostic) Finding {
	fset := pkg.Fset
	f := Finding{
		Rule:     rule,
		Message:  d.Message,
		Package:  pkg.PkgPath,
		Location: c.loc(fset, d.Pos, d.End),
		Source:   "static",
	}
	f.Function = enclosingFunc(pkg, d.Pos)
	for _, r := range d.Related {
		f.Related = append(f.Related, Related{Location: c.loc(fset, r.Pos, r.End), Message: r.Message})
	}
	for _, sf := range d.SuggestedFixes {
		fix := Fix{Message: sf.Message}
		for _, e := range sf.TextEdits {
			end := e.End
			if !end.IsValid() {
				end = e.Pos
			}
			p, q := fset.Position(e.Pos), fset.Position(end)
			fix.Edits = append(fix.Edits, Edit{
				File: c.rel(p.Filename), Start: p.Offset, End: q.Offset, NewText: string(e.NewText),
				From: Location{File: c.rel(p.Filename), Line: p.Line, Column: p.Column},
				To:   Location{File: c.rel(q.Filename), Line: q.Line, Column: q.Column},
			})
		}
		f.Fixes = append(f.Fixes, fix)
	}
	f.Fingerprint = Fingerprint(f, sourceLine(fset.Position(d.Pos).Filename, fset.Position(d.Pos).Line))
	return f
}

// add records f once: with Tests, a package is analysed twice (with and
// without its tests) and reports the same findings both times.
func (c *collector) add(f Finding) {
	key := f.Rule + "\x00" + f.Location.String() + "\x00" + f.Message
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	if c.isExcluded(f.Location.File) {
		c.excluded++
		return
	}
	if c.nolint.suppresses(f) {
		c.nolinted++
		return
	}
	c.findings = append(c.findings, f)
}

func (c *collector) isExcluded(file string) bool {
	for _, pat := range c.opts.Exclude {
		pat = filepath.ToSlash(pat)
		if strings.HasSuffix(pat, "/") && strings.HasPrefix(file, pat) {
			return true
		}
		if ok, _ := filepath.Match(pat, file); ok {
			return true
		}
		if strings.HasPrefix(file, pat+"/") {
			return true
		}
	}
	return false
}

func (c *collector) finish(res *Result) {
	// Directives that are malformed or suppress nothing are findings too.
	c.findings = append(c.findings, c.nolint.problems(c.isExcluded)...)
	sortFindings(c.findings)
	res.Suppressed = c.nolinted
	res.Excluded = c.excluded
	if c.opts.Baseline != nil {
		res.Findings, res.Baselined = c.opts.Baseline.Filter(c.findings)
	} else {
		res.Findings = c.findings
	}
	if res.Findings == nil {
		res.Findings = []Finding{}
	}
}

func sortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i].Location, fs[j].Location
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return fs[i].Rule < fs[j].Rule
	})
}

var lineRef = regexp.MustCompile(`\.go:\d+`)

// Fingerprint identifies a finding independently of line numbers: the rule,
// package, enclosing function, the message with file:line references
// removed, and the text of the flagged source line. Moving code keeps the
// fingerprint; changing the flagged line or the message changes it.
func Fingerprint(f Finding, line string) string {
	h := sha256.New()
	for _, s := range []string{f.Rule, f.Package, f.Function, lineRef.ReplaceAllString(f.Message, ".go"), strings.TrimSpace(line)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

func sourceLine(file string, line int) string {
	data, err := os.ReadFile(file)
	if err != nil || line < 1 {
		return ""
	}
	lines := strings.Split(string(data), "\n")
	if line > len(lines) {
		return ""
	}
	return lines[line-1]
}

// enclosingFunc names the function declaration around pos ("Recv.Method" or
// "Func"), or "" at package level.
func enclosingFunc(pkg *packages.Package, pos token.Pos) string {
	for _, f := range pkg.Syntax {
		if pos < f.Pos() || pos > f.End() {
			continue
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || pos < fd.Pos() || pos > fd.End() {
				continue
			}
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				return recvName(fd.Recv.List[0].Type) + "." + fd.Name.Name
			}
			return fd.Name.Name
		}
	}
	return ""
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return recvName(x.X)
	case *ast.IndexListExpr:
		return recvName(x.X)
	}
	return "?"
}

// load loads the packages matching patterns; none matching, or any that
// does not load, is an error naming them.
func load(cfg *packages.Config, patterns []string) ([]*packages.Package, error) {
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("load packages %s: %w", strings.Join(patterns, " "), err)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("%w %s in %s", ErrNoPackages, strings.Join(patterns, " "), cfg.Dir)
	}
	if lerr := loadErrors(pkgs); lerr != nil {
		return nil, lerr
	}
	return pkgs, nil
}
