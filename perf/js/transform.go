package js

import (
	"fmt"
	"strconv"
	"strings"
)

// Transform rewrites the ES module syntax of a k6 script into plain
// JavaScript that goja runs inside a function taking (exports, __require):
//
//	import http from 'k6/http'          → const http = __require("k6/http").default;
//	import { check as c } from 'k6'     → const { check: c } = __require("k6", ["check"]);
//	import * as m from './lib.js'       → const m = __require("./lib.js");
//	export default function () {...}    → exports.default = function () {...}
//	export const options = {...}        → const options = {...} ... exports.options = options;
//	export function setup() {...}       → function setup() {...} ... exports.setup = setup;
//
// Every rewritten statement keeps its line breaks, so line numbers in errors
// point at the original source. Only top-level statements are rewritten;
// dynamic import() and import.meta are rejected with their position.
func Transform(filename, src string) (string, error) {
	toks, err := tokenize(src)
	if err != nil {
		return "", fmt.Errorf("%s: %w", filename, err)
	}
	t := &transformer{src: src, toks: toks, file: filename}
	if err := t.run(); err != nil {
		return "", err
	}
	return t.out(), nil
}

type tokKind int

const (
	tIdent tokKind = iota
	tPunct
	tString
	tTemplate
	tRegex
	tNumber
)

type token struct {
	kind       tokKind
	text       string
	start, end int // byte offsets in src
	nlBefore   bool
	depth      int // bracket depth before the token
}

func lineCol(src string, off int) (int, int) {
	line := 1 + strings.Count(src[:off], "\n")
	col := off - strings.LastIndexByte(src[:off], '\n')
	return line, col
}

// regexAfter lists keywords after which '/' starts a regular expression.
var regexAfter = map[string]bool{
	"return": true, "typeof": true, "instanceof": true, "in": true, "of": true, "new": true,
	"delete": true, "void": true, "throw": true, "case": true, "do": true, "else": true, "yield": true, "await": true,
}

func isIdentStart(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isIdentPart(c byte) bool { return isIdentStart(c) || c >= '0' && c <= '9' }

// tokenize splits src into tokens, skipping comments and whitespace. It
// knows enough of JavaScript's lexical grammar (strings, template literals
// with nested substitutions, regular expressions) to find statement
// boundaries; the parser proper is goja's.
func tokenize(src string) ([]token, error) {
	var toks []token
	depth := 0
	// stack of open brackets; '`' marks a template substitution.
	var stack []byte
	nl := false
	i := 0
	prevAllowsRegex := func() bool {
		if len(toks) == 0 {
			return true
		}
		p := toks[len(toks)-1]
		switch p.kind {
		case tIdent:
			return regexAfter[p.text]
		case tNumber, tString, tTemplate, tRegex:
			return false
		case tPunct:
			return p.text != ")" && p.text != "]" && p.text != "}"
		}
		return true
	}
	// scanTemplate scans from just after '`' or a closing '}' of a
	// substitution; it returns the end offset and whether it stopped at "${".
	scanTemplate := func(j int) (int, bool, error) {
		for j < len(src) {
			switch src[j] {
			case '\\':
				j += 2
				continue
			case '`':
				return j + 1, false, nil
			case '$':
				if j+1 < len(src) && src[j+1] == '{' {
					return j + 2, true, nil
				}
			}
			j++
		}
		return len(src), false, nil // unterminated: goja reports it
	}
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			nl = true
			i++
			continue
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			i++
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '/':
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				end = len(src) - i - 4 // goja reports it
				if end < 0 {
					end = 0
				}
			}
			if strings.Contains(src[i:i+2+end], "\n") {
				nl = true
			}
			i += end + 4
			continue
		}
		start := i
		tk := token{start: start, nlBefore: nl, depth: depth}
		nl = false
		switch {
		case isIdentStart(c):
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			tk.kind = tIdent
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9':
			for i < len(src) && (isIdentPart(src[i]) || src[i] == '.') {
				i++
			}
			tk.kind = tNumber
		case c == '"' || c == '\'':
			i++
			for i < len(src) && src[i] != c && src[i] != '\n' {
				if src[i] == '\\' {
					i++
				}
				i++
			}
			if i < len(src) && src[i] == c {
				i++
			}
			tk.kind = tString
		case c == '`':
			end, sub, err := scanTemplate(i + 1)
			if err != nil {
				return nil, err
			}
			i = end
			tk.kind = tTemplate
			if sub {
				stack = append(stack, '`')
				depth++
			}
		case c == '/' && prevAllowsRegex():
			i++
			inClass := false
			for i < len(src) {
				ch := src[i]
				if ch == '\\' {
					i += 2
					continue
				}
				if ch == '\n' {
					break // unterminated: goja reports it
				}
				if ch == '[' {
					inClass = true
				} else if ch == ']' {
					inClass = false
				} else if ch == '/' && !inClass {
					break
				}
				i++
			}
			if i < len(src) && src[i] == '/' {
				i++
			}
			for i < len(src) && isIdentPart(src[i]) {
				i++
			}
			tk.kind = tRegex
		case c == '{' || c == '(' || c == '[':
			stack = append(stack, c)
			depth++
			i++
			tk.kind = tPunct
		case c == '}' || c == ')' || c == ']':
			if len(stack) == 0 {
				// Unbalanced: leave it to goja's parser to report.
				i++
				tk.kind = tPunct
				break
			}
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			depth--
			if top == '`' && c == '}' {
				// End of a template substitution: continue the template.
				end, sub, err := scanTemplate(i + 1)
				if err != nil {
					return nil, err
				}
				i = end
				tk.kind = tTemplate
				tk.depth = depth
				if sub {
					stack = append(stack, '`')
					depth++
				}
				break
			}
			i++
			tk.kind = tPunct
			tk.depth = depth
		default:
			// Operators: longest match is not needed to find statements,
			// except that "=>" and "..." must not be split oddly; one byte
			// per token is enough for the transform.
			i++
			tk.kind = tPunct
		}
		tk.end = i
		tk.text = src[start:i]
		toks = append(toks, tk)
	}
	return toks, nil
}

type edit struct {
	start, end int
	text       string
}

type transformer struct {
	src     string
	file    string
	toks    []token
	edits   []edit
	exports []string // lines appended at the end
}

func (t *transformer) errAt(off int, format string, args ...any) error {
	l, c := lineCol(t.src, off)
	return fmt.Errorf("%s:%d:%d: %s", t.file, l, c, fmt.Sprintf(format, args...))
}

func (t *transformer) tok(i int) *token {
	if i < len(t.toks) {
		return &t.toks[i]
	}
	return &token{kind: tPunct, text: "", start: len(t.src), end: len(t.src)}
}

func (t *transformer) run() error {
	for i := 0; i < len(t.toks); i++ {
		tk := &t.toks[i]
		if tk.kind != tIdent || (tk.text != "import" && tk.text != "export") {
			continue
		}
		next := t.tok(i + 1)
		if i > 0 && t.toks[i-1].text == "." || next.text == ":" {
			continue // a property named import/export
		}
		if tk.text == "import" && (next.text == "(" || next.text == ".") {
			what := "dynamic import()"
			if next.text == "." {
				what = "import.meta"
			}
			return t.errAt(tk.start, "%s is not supported; use a static import at the top level", what)
		}
		if tk.depth != 0 {
			return t.errAt(tk.start, "%s is only allowed at the top level of a module", tk.text)
		}
		var err error
		if tk.text == "import" {
			i, err = t.importDecl(i)
		} else {
			i, err = t.exportDecl(i)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// replace records that src[start:end] becomes text, keeping its newlines.
func (t *transformer) replace(start, end int, text string) {
	if n := strings.Count(t.src[start:end], "\n"); n > 0 {
		text += strings.Repeat("\n", n)
	}
	t.edits = append(t.edits, edit{start, end, text})
}

// blank replaces src[start:end] with spaces so columns stay where they were.
func (t *transformer) blank(start, end int) {
	t.edits = append(t.edits, edit{start, end, strings.Repeat(" ", end-start)})
}

func (t *transformer) out() string {
	var b strings.Builder
	pos := 0
	for _, e := range t.edits {
		b.WriteString(t.src[pos:e.start])
		b.WriteString(e.text)
		pos = e.end
	}
	b.WriteString(t.src[pos:])
	if len(t.exports) > 0 {
		b.WriteString("\n;")
		b.WriteString(strings.Join(t.exports, " "))
	}
	return b.String()
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '\'' {
		s = `"` + strings.ReplaceAll(strings.ReplaceAll(s[1:len(s)-1], `"`, `\"`), `\'`, `'`) + `"`
	}
	u, err := strconv.Unquote(s)
	if err != nil {
		return s
	}
	return u
}

// endOfStatement returns the index just past an optional ';' at j.
func (t *transformer) endOfStatement(j int) (int, int) {
	if t.tok(j).text == ";" {
		return j, t.tok(j).end
	}
	return j - 1, t.tok(j - 1).end
}

// namedList parses "{ a, b as c, default as d }" starting at the '{' at j.
// It returns (imported, local) pairs and the index of the closing '}'.
func (t *transformer) namedList(j int) ([][2]string, int, error) {
	var pairs [][2]string
	j++
	for {
		tk := t.tok(j)
		if tk.text == "}" {
			return pairs, j, nil
		}
		if tk.kind != tIdent && tk.kind != tString {
			return nil, 0, t.errAt(tk.start, "unexpected %q in import/export list", tk.text)
		}
		name := tk.text
		if tk.kind == tString {
			name = unquote(tk.text)
		}
		local := name
		j++
		if t.tok(j).text == "as" {
			j++
			as := t.tok(j)
			if as.kind != tIdent && as.kind != tString {
				return nil, 0, t.errAt(as.start, "expected a name after 'as'")
			}
			local = as.text
			if as.kind == tString {
				local = unquote(as.text)
			}
			j++
		}
		pairs = append(pairs, [2]string{name, local})
		if t.tok(j).text == "," {
			j++
		} else if t.tok(j).text != "}" {
			return nil, 0, t.errAt(t.tok(j).start, "expected ',' or '}' in import/export list")
		}
	}
}

func requireCall(spec string, names []string) string {
	if len(names) == 0 {
		return fmt.Sprintf("__require(%s)", strconv.Quote(spec))
	}
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return fmt.Sprintf("__require(%s, [%s])", strconv.Quote(spec), strings.Join(q, ", "))
}

func destructure(pairs [][2]string) (string, []string) {
	parts := make([]string, len(pairs))
	names := make([]string, len(pairs))
	for i, p := range pairs {
		parts[i] = fmt.Sprintf("%s: %s", strconv.Quote(p[0]), p[1])
		names[i] = p[0]
	}
	return "{ " + strings.Join(parts, ", ") + " }", names
}

func (t *transformer) importDecl(i int) (int, error) {
	start := t.toks[i].start
	j := i + 1
	// import 'module';
	if t.tok(j).kind == tString {
		spec := unquote(t.tok(j).text)
		last, end := t.endOfStatement(j + 1)
		t.replace(start, end, requireCall(spec, nil)+";")
		return last, nil
	}
	var decls []string // "lhs = " parts, completed with the require call
	var defaultName, nsName string
	var pairs [][2]string
	if t.tok(j).kind == tIdent && t.tok(j).text != "from" || t.tok(j).kind == tIdent && t.tok(j+1).text == "from" {
		defaultName = t.tok(j).text
		j++
		if t.tok(j).text == "," {
			j++
		}
	}
	switch t.tok(j).text {
	case "*":
		if t.tok(j+1).text != "as" || t.tok(j+2).kind != tIdent {
			return 0, t.errAt(t.tok(j).start, "expected '* as name'")
		}
		nsName = t.tok(j + 2).text
		j += 3
	case "{":
		var err error
		var close int
		pairs, close, err = t.namedList(j)
		if err != nil {
			return 0, err
		}
		j = close + 1
	}
	if t.tok(j).text != "from" || t.tok(j+1).kind != tString {
		return 0, t.errAt(t.tok(j).start, "malformed import: expected 'from \"module\"'")
	}
	spec := unquote(t.tok(j + 1).text)
	if defaultName != "" {
		decls = append(decls, fmt.Sprintf("%s = %s.default", defaultName, requireCall(spec, []string{"default"})))
	}
	if nsName != "" {
		decls = append(decls, fmt.Sprintf("%s = %s", nsName, requireCall(spec, nil)))
	}
	if pairs != nil {
		lhs, names := destructure(pairs)
		decls = append(decls, fmt.Sprintf("%s = %s", lhs, requireCall(spec, names)))
	}
	last, end := t.endOfStatement(j + 2)
	if len(decls) == 0 {
		t.replace(start, end, requireCall(spec, nil)+";")
	} else {
		t.replace(start, end, "const "+strings.Join(decls, ", ")+";")
	}
	return last, nil
}

func (t *transformer) exportDecl(i int) (int, error) {
	exp := t.toks[i]
	j := i + 1
	next := t.tok(j)
	switch {
	case next.text == "default":
		k := j + 1
		if t.tok(k).text == "async" && t.tok(k+1).text == "function" {
			k++
		}
		named := -1
		if t.tok(k).text == "function" {
			n := k + 1
			if t.tok(n).text == "*" {
				n++
			}
			if t.tok(n).kind == tIdent {
				named = n
			}
		} else if t.tok(k).text == "class" && t.tok(k+1).kind == tIdent && t.tok(k+1).text != "extends" {
			named = k + 1
		}
		if named >= 0 {
			// A named declaration: keep it (functions hoist) and export it.
			t.blank(exp.start, next.end)
			t.exports = append(t.exports, fmt.Sprintf("exports.default = %s;", t.tok(named).text))
		} else {
			t.replace(exp.start, next.end, "exports.default =")
		}
		return j, nil
	case next.text == "function" || next.text == "class" || next.text == "async" && t.tok(j+1).text == "function":
		n := j + 1
		if next.text == "async" {
			n++
		}
		if t.tok(n).text == "*" {
			n++
		}
		if t.tok(n).kind != tIdent {
			return 0, t.errAt(t.tok(n).start, "expected a name after 'export %s'", next.text)
		}
		t.blank(exp.start, next.start)
		name := t.tok(n).text
		t.exports = append(t.exports, fmt.Sprintf("exports.%s = %s;", name, name))
		return n, nil
	case next.text == "const" || next.text == "let" || next.text == "var":
		t.blank(exp.start, next.start)
		names, last, err := t.declaredNames(j + 1)
		if err != nil {
			return 0, err
		}
		for _, n := range names {
			t.exports = append(t.exports, fmt.Sprintf("exports.%s = %s;", n, n))
		}
		return last, nil
	case next.text == "{":
		pairs, close, err := t.namedList(j)
		if err != nil {
			return 0, err
		}
		k := close + 1
		if t.tok(k).text == "from" && t.tok(k+1).kind == tString {
			spec := unquote(t.tok(k + 1).text)
			names := make([]string, len(pairs))
			for x, p := range pairs {
				names[x] = p[0]
			}
			last, end := t.endOfStatement(k + 2)
			var sets []string
			for _, p := range pairs {
				sets = append(sets, fmt.Sprintf("exports[%s] = __m[%s];", strconv.Quote(p[1]), strconv.Quote(p[0])))
			}
			t.replace(exp.start, end, fmt.Sprintf("{ const __m = %s; %s }", requireCall(spec, names), strings.Join(sets, " ")))
			return last, nil
		}
		last, end := t.endOfStatement(k)
		t.replace(exp.start, end, "")
		for _, p := range pairs {
			t.exports = append(t.exports, fmt.Sprintf("exports[%s] = %s;", strconv.Quote(p[1]), p[0]))
		}
		return last, nil
	case next.text == "*":
		k := j + 1
		if t.tok(k).text != "from" || t.tok(k+1).kind != tString {
			return 0, t.errAt(next.start, "only 'export * from \"module\"' is supported")
		}
		spec := unquote(t.tok(k + 1).text)
		last, end := t.endOfStatement(k + 2)
		t.replace(exp.start, end, fmt.Sprintf("{ const __m = %s; for (const k of Object.keys(__m)) if (k !== 'default') exports[k] = __m[k]; }", requireCall(spec, nil)))
		return last, nil
	}
	return 0, t.errAt(next.start, "unsupported export form %q", next.text)
}

// declaredNames reads the names bound by "const a = 1, b = {...}" starting
// after the keyword, up to the end of the statement.
func (t *transformer) declaredNames(j int) ([]string, int, error) {
	base := t.tok(j).depth
	var names []string
	expectName := true
	for ; j < len(t.toks); j++ {
		tk := &t.toks[j]
		if tk.depth == base && j > 0 && !expectName && tk.nlBefore && tk.kind == tIdent && t.toks[j-1].text != "," && !isOperator(t.toks[j-1].text) {
			return names, j - 1, nil // automatic semicolon insertion
		}
		if expectName && tk.depth == base {
			if tk.kind != tIdent {
				return nil, 0, t.errAt(tk.start, "destructuring in an exported declaration is not supported; export the names one by one")
			}
			names = append(names, tk.text)
			expectName = false
			continue
		}
		if tk.depth == base && tk.text == "," {
			expectName = true
			continue
		}
		if tk.depth == base && tk.text == ";" {
			return names, j, nil
		}
		if tk.depth < base {
			return names, j - 1, nil
		}
	}
	return names, len(t.toks) - 1, nil
}

func isOperator(s string) bool {
	return strings.ContainsAny(s, "=+-*/%&|^!<>?:.")
}
