package js

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// ScriptError is an error in the script itself (syntax, unknown module,
// exception): the user must fix the script. Pos is "file:line:col" when known.
type ScriptError struct {
	Pos string
	Msg string
}

func (e *ScriptError) Error() string {
	if e.Pos == "" {
		return e.Msg
	}
	return e.Pos + ": " + e.Msg
}

var syntaxRE = regexp.MustCompile(`^SyntaxError: (.*?): Line (\d+):(\d+) (.*?)(?: \(and \d+ more errors\))?$`)

func syntaxError(err error) error {
	var se *goja.CompilerSyntaxError
	if errors.As(err, &se) {
		if m := syntaxRE.FindStringSubmatch(se.Error()); m != nil {
			return &ScriptError{Pos: m[1] + ":" + m[2] + ":" + m[3], Msg: "SyntaxError: " + m[4]}
		}
		return &ScriptError{Msg: se.Error()}
	}
	return &ScriptError{Msg: err.Error()}
}

var posRE = regexp.MustCompile(`\(?([^\s()]+:\d+:\d+)(?:\(\d+\))?\)?`)

// exceptionError turns a JavaScript exception into a ScriptError that names
// the script position where it was thrown.
func exceptionError(err error) error {
	var ex *goja.Exception
	if errors.As(err, &ex) {
		msg := ex.Value().String()
		if o, ok := ex.Value().(*goja.Object); ok {
			if s := o.Get("message"); s != nil && !goja.IsUndefined(s) {
				name := "Error"
				if n := o.Get("name"); n != nil && !goja.IsUndefined(n) {
					name = n.String()
				}
				msg = name + ": " + s.String()
			}
		}
		pos := ""
		for _, f := range ex.Stack() {
			if f.SrcName() == "" || strings.HasPrefix(f.SrcName(), "<") {
				continue
			}
			p := f.Position()
			pos = fmt.Sprintf("%s:%d:%d", f.SrcName(), p.Line, p.Column)
			break
		}
		return &ScriptError{Pos: pos, Msg: msg}
	}
	return err
}

// Program is a compiled script plus the local modules and files it uses.
// It is shared by all VUs and safe for concurrent use.
type Program struct {
	// Filename is the script's path as given; Dir resolves relative imports
	// and open() calls.
	Filename string
	Dir      string

	main *goja.Program

	mu      sync.Mutex
	modules map[string]*goja.Program // absolute path → compiled module
	files   map[string][]byte        // absolute path → contents for open()
}

// Compile transforms and compiles a script. Syntax errors come back as a
// *ScriptError with line:col.
func Compile(filename string, src []byte) (*Program, error) {
	code, err := Transform(filename, string(src))
	if err != nil {
		return nil, &ScriptError{Msg: "SyntaxError: " + err.Error()}
	}
	prg, err := goja.Compile(filename, code, false)
	if err != nil {
		return nil, syntaxError(err)
	}
	abs, err := filepath.Abs(filename)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", filename, err)
	}
	return &Program{
		Filename: filename,
		Dir:      filepath.Dir(abs),
		main:     prg,
		modules:  make(map[string]*goja.Program),
		files:    make(map[string][]byte),
	}, nil
}

// CompileFile reads and compiles a script file.
func CompileFile(path string) (*Program, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read script: %w", err)
	}
	return Compile(path, src)
}

func (p *Program) resolve(base, spec string) string {
	if filepath.IsAbs(spec) {
		return filepath.Clean(spec)
	}
	return filepath.Join(base, spec)
}

// module compiles a local module once, wrapped in a function of
// (exports, module, __require).
func (p *Program) module(path string) (*goja.Program, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if prg, ok := p.modules[path]; ok {
		return prg, nil
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read module: %w", err)
	}
	name := p.displayName(path)
	code, err := Transform(name, string(src))
	if err != nil {
		return nil, &ScriptError{Msg: "SyntaxError: " + err.Error()}
	}
	prg, err := goja.Compile(name, "(function (exports, module, __require) {"+code+"\n})", false)
	if err != nil {
		return nil, syntaxError(err)
	}
	p.modules[path] = prg
	return prg, nil
}

func (p *Program) displayName(path string) string {
	if rel, err := filepath.Rel(p.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.Join(filepath.Dir(p.Filename), rel)
	}
	return path
}

// readFile serves open(): files are read once per run.
func (p *Program) readFile(path string) ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b, ok := p.files[path]; ok {
		return b, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	p.files[path] = b
	return b, nil
}

// Files returns the paths (relative to the script directory when possible)
// of every file and module the script loaded; perf k8s packs them.
func (p *Program) Files() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for path := range p.files {
		out = append(out, path)
	}
	for path := range p.modules {
		out = append(out, path)
	}
	return out
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}
