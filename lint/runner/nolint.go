package runner

import (
	"go/ast"
	"go/token"
	"regexp"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/gocli/gocli/lint"
)

// GroupName selects every goroutine-leak rule in a //nolint directive.
const GroupName = lint.Group

// NolintRule is the rule name of findings about //nolint directives
// themselves (missing reason, suppressing nothing).
const NolintRule = "nolint"

// directive is one //nolint comment that names gocli's rules.
type directive struct {
	names    []string // rule names, GroupName, or nil for a bare //nolint
	explicit bool     // names one of our rules or the group
	reason   string
	file     string // relative to the run's directory
	line     int
	fromLine int // first line it covers
	toLine   int // last line it covers
	loc      Location
	used     int
}

type directives struct {
	byFile map[string][]*directive
	parsed map[string]bool
	ran    map[string]bool
	all    bool
}

var nolintRE = regexp.MustCompile(`^//\s*nolint(?::([\w,\- ]+))?(?:\s*//\s*(.*))?\s*$`)

func newDirectives(ran map[string]bool, all bool) *directives {
	return &directives{byFile: map[string][]*directive{}, parsed: map[string]bool{}, ran: ran, all: all}
}

// parse finds the //nolint comments in pkg's files; files already parsed
// (a package and its test variant share files) are skipped.
func (ds *directives) parse(pkg *packages.Package, rel func(string) string) {
	ds.parseFiles(pkg.Fset, pkg.Syntax, rel)
}

// parseFiles finds the //nolint comments in files.
func (ds *directives) parseFiles(fset *token.FileSet, files []*ast.File, rel func(string) string) {
	for _, f := range files {
		name := rel(fset.Position(f.Pos()).Filename)
		if ds.parsed[name] {
			continue
		}
		ds.parsed[name] = true
		for _, cg := range f.Comments {
			for _, cm := range cg.List {
				d := parseOne(cm.Text, ds.ran)
				if d == nil {
					continue
				}
				p := fset.Position(cm.Pos())
				d.file = rel(p.Filename)
				d.line = p.Line
				d.loc = Location{File: d.file, Line: p.Line, Column: p.Column}
				d.fromLine, d.toLine = p.Line, p.Line
				if ownLine(fset, f, cm) {
					d.fromLine, d.toLine = p.Line+1, p.Line+1
					if n := declAt(fset, f, p.Line+1); n != nil {
						d.toLine = fset.Position(n.End()).Line
					}
				}
				ds.byFile[d.file] = append(ds.byFile[d.file], d)
			}
		}
	}
}

func parseOne(text string, ran map[string]bool) *directive {
	m := nolintRE.FindStringSubmatch(text)
	if m == nil {
		return nil
	}
	d := &directive{reason: strings.TrimSpace(m[2])}
	if m[1] == "" {
		return d // bare //nolint: silences everything, never reported
	}
	for _, n := range strings.Split(m[1], ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if n == "all" {
			d.names = nil
			d.explicit = false
			return d
		}
		d.names = append(d.names, n)
		if n == GroupName || ran[n] || isKnownRule(n) {
			d.explicit = true
		}
	}
	if !d.explicit {
		return nil // another linter's directive
	}
	return d
}

// isKnownRule recognises every rule, so a directive for a rule that was not
// selected in this run is still ours (and not reported as unused).
func isKnownRule(n string) bool {
	for _, a := range lint.Analyzers() {
		if a.Name == n {
			return true
		}
	}
	return false
}

func ownLine(fset *token.FileSet, f *ast.File, cm *ast.Comment) bool {
	tf := fset.File(cm.Pos())
	if tf == nil {
		return false
	}
	p := fset.Position(cm.Pos())
	lineStart := tf.LineStart(p.Line)
	// Only whitespace may precede the comment on its line.
	return int(cm.Pos()-lineStart) == p.Column-1 && leadingSpace(fset, f, cm)
}

// leadingSpace reports whether no syntax node ends on the comment's line
// before it.
func leadingSpace(fset *token.FileSet, f *ast.File, cm *ast.Comment) bool {
	line := fset.Position(cm.Pos()).Line
	ok := true
	ast.Inspect(f, func(n ast.Node) bool {
		if !ok || n == nil {
			return false
		}
		if _, isCG := n.(*ast.CommentGroup); isCG {
			return false
		}
		if _, isC := n.(*ast.Comment); isC {
			return false
		}
		start, end := fset.Position(n.Pos()), fset.Position(n.End())
		if start.Line > line || end.Line < line {
			return start.Line <= line
		}
		if start.Line == line && n.Pos() < cm.Pos() {
			ok = false
		}
		return true
	})
	return ok
}

// declAt returns the declaration or statement starting on line, for a
// directive written on the line above it.
func declAt(fset *token.FileSet, f *ast.File, line int) ast.Node {
	var found ast.Node
	ast.Inspect(f, func(n ast.Node) bool {
		if found != nil || n == nil {
			return false
		}
		switch n.(type) {
		case *ast.FuncDecl, *ast.GenDecl, ast.Stmt:
			if fset.Position(n.Pos()).Line == line {
				found = n
				return false
			}
		}
		return true
	})
	return found
}

func (ds *directives) suppresses(f Finding) bool {
	for _, d := range ds.byFile[f.Location.File] {
		if f.Location.Line < d.fromLine || f.Location.Line > d.toLine {
			continue
		}
		if d.explicit && d.reason == "" {
			continue // a directive without a reason does not count
		}
		if d.names == nil || contains(d.names, GroupName) || contains(d.names, f.Rule) {
			d.used++
			return true
		}
	}
	return false
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// problems reports explicit directives with no reason, and explicit
// directives that suppressed nothing although every rule they name ran.
func (ds *directives) problems(excluded func(string) bool) []Finding {
	var out []Finding
	for file, list := range ds.byFile {
		if excluded(file) {
			continue
		}
		for _, d := range list {
			if !d.explicit {
				continue
			}
			spec := "//nolint:" + strings.Join(d.names, ",")
			switch {
			case d.reason == "":
				out = append(out, nolintFinding(d, spec+" needs a reason: write "+spec+" // <why this cannot leak>"))
			case d.used == 0 && ds.coversAll(d):
				out = append(out, nolintFinding(d, spec+" suppresses nothing: remove it"))
			}
		}
	}
	return out
}

func (ds *directives) coversAll(d *directive) bool {
	for _, n := range d.names {
		if n == GroupName {
			if !ds.all {
				return false
			}
			continue
		}
		if !ds.ran[n] {
			return false
		}
	}
	return true
}

func nolintFinding(d *directive, msg string) Finding {
	f := Finding{Rule: NolintRule, Message: msg, Location: d.loc, Source: "static"}
	f.Fingerprint = Fingerprint(f, msg)
	return f
}
