package runner

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/gcexportdata"
	"golang.org/x/tools/go/packages"
)

// The result cache makes a re-run on unchanged packages as cheap as go
// vet's: a package's findings depend only on its own files, the export data
// of its imports (whose build-cache file names are content hashes), the
// analyzers and the gocli binary. Packages are listed once with export
// data; only those whose key has no cached result are parsed, type-checked
// (imports from export data, as go vet's tools do) and analysed.

// cacheVersion changes when the cached format or the key changes.
const cacheVersion = "gocli-lint-cache v1"

// DefaultCacheDir is where gocli lint keeps results: the user cache
// directory, or "" (no cache) when there is none.
func DefaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "gocli", "lint")
}

// runCached is Run with the result cache.
func runCached(ctx context.Context, opts Options, dir string, patterns []string) (*Result, error) {
	cfg := &packages.Config{
		Context: ctx,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
			packages.NeedDeps | packages.NeedExportFile | packages.NeedModule | packages.NeedTypesSizes,
		Dir: dir,
		Env: append(os.Environ(), opts.Env...),
	}
	pkgs, err := load(cfg, patterns)
	if err != nil {
		return nil, err
	}
	exe := exeID()
	var names []string
	for _, a := range opts.Analyzers {
		names = append(names, a.Name)
	}
	sort.Strings(names)

	type entry struct {
		pkg      *packages.Package
		key      string
		src      map[string][]byte
		findings []Finding
		hit      bool
	}
	c := newCollector(dir, opts)
	fset := token.NewFileSet()
	imports := map[string]*types.Package{}
	var entries []*entry
	var misses []*packages.Package
	byPkg := map[*packages.Package]*entry{}
	for _, p := range pkgs {
		e := &entry{pkg: p, src: map[string][]byte{}}
		for _, f := range p.CompiledGoFiles {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", f, err)
			}
			e.src[f] = data
		}
		if exe != "" {
			e.key = cacheKey(exe, dir, names, p, e.src)
		}
		if e.key != "" {
			if fs, ok := readCache(opts.CacheDir, e.key); ok {
				e.findings, e.hit = fs, true
			}
		}
		if !e.hit {
			if err := typeCheck(p, fset, imports, e.src); err != nil {
				return nil, err
			}
			misses = append(misses, p)
		}
		entries = append(entries, e)
		byPkg[p] = e
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if lerr := typeErrors(misses); lerr != nil {
		return nil, lerr
	}
	if len(misses) > 0 {
		graph, err := checker.Analyze(opts.Analyzers, misses, nil)
		if err != nil {
			return nil, fmt.Errorf("run analyzers: %w", err)
		}
		for _, act := range graph.Roots {
			if act.Err != nil {
				return nil, fmt.Errorf("analyzer %s on %s: %w", act.Analyzer.Name, act.Package.PkgPath, act.Err)
			}
			e := byPkg[act.Package]
			for _, d := range act.Diagnostics {
				e.findings = append(e.findings, c.finding(act.Package, act.Analyzer.Name, d))
			}
		}
	}
	res := &Result{Packages: len(pkgs)}
	for _, e := range entries {
		if e.hit {
			c.nolint.parseFiles(fset, parseDirectiveFiles(fset, e.src), c.rel)
		} else {
			c.nolint.parse(e.pkg, c.rel)
			if e.key != "" {
				writeCache(opts.CacheDir, e.key, e.findings)
			}
		}
		for _, f := range e.findings {
			c.add(f)
		}
	}
	c.finish(res)
	return res, nil
}

// exeID identifies the running gocli build (its analyzers): path, size and
// modification time of the executable, and the Go version.
func exeID() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("%s %d %d %s", exe, st.Size(), st.ModTime().UnixNano(), runtime.Version())
}

// cacheKey hashes everything a package's findings depend on, or returns ""
// when an import has no export data to stand for it.
func cacheKey(exe, dir string, analyzers []string, p *packages.Package, src map[string][]byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n%s\n%s\n%s\n", cacheVersion, exe, dir, strings.Join(analyzers, ","), p.ID, p.PkgPath)
	if p.Module != nil {
		fmt.Fprintf(h, "go %s\n", p.Module.GoVersion)
	}
	fmt.Fprintf(h, "sizes %v\n", p.TypesSizes)
	for _, f := range p.CompiledGoFiles {
		fmt.Fprintf(h, "file %s %x\n", f, sha256.Sum256(src[f]))
	}
	paths := make([]string, 0, len(p.Imports))
	for path := range p.Imports {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		ip := p.Imports[path]
		if ip.ExportFile == "" && ip.PkgPath != "unsafe" {
			return ""
		}
		fmt.Fprintf(h, "import %s %s\n", path, ip.ExportFile)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func cachePath(dir, key string) string { return filepath.Join(dir, key[:2], key+".json") }

func readCache(dir, key string) ([]Finding, bool) {
	data, err := os.ReadFile(cachePath(dir, key))
	if err != nil {
		return nil, false
	}
	var fs []Finding
	if json.Unmarshal(data, &fs) != nil {
		return nil, false
	}
	return fs, true
}

// writeCache stores a package's findings; a cache that cannot be written
// only costs speed, so errors are ignored.
func writeCache(dir, key string, fs []Finding) {
	if fs == nil {
		fs = []Finding{}
	}
	data, err := json.Marshal(fs)
	if err != nil {
		return
	}
	path := cachePath(dir, key)
	if os.MkdirAll(filepath.Dir(path), 0o755) != nil {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
}

// typeCheck parses p's files and type-checks them against the export data
// of its imports, filling the fields the analyzers need.
func typeCheck(p *packages.Package, fset *token.FileSet, imports map[string]*types.Package, src map[string][]byte) error {
	p.Fset = fset
	for _, f := range p.CompiledGoFiles {
		af, err := parser.ParseFile(fset, f, src[f], parser.AllErrors|parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			p.Errors = append(p.Errors, packages.Error{Msg: err.Error(), Kind: packages.ParseError})
		}
		if af != nil {
			p.Syntax = append(p.Syntax, af)
		}
	}
	p.TypesInfo = &types.Info{
		Types:        map[ast.Expr]types.TypeAndValue{},
		Defs:         map[*ast.Ident]types.Object{},
		Uses:         map[*ast.Ident]types.Object{},
		Implicits:    map[ast.Node]types.Object{},
		Instances:    map[*ast.Ident]types.Instance{},
		Scopes:       map[ast.Node]*types.Scope{},
		Selections:   map[*ast.SelectorExpr]*types.Selection{},
		FileVersions: map[*ast.File]string{},
	}
	tc := &types.Config{
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if path == "unsafe" {
				return types.Unsafe, nil
			}
			ip, ok := p.Imports[path]
			if !ok {
				return nil, fmt.Errorf("%s is not an import of %s", path, p.PkgPath)
			}
			return readExport(ip, fset, imports)
		}),
		Sizes: p.TypesSizes,
		Error: func(err error) {
			p.Errors = append(p.Errors, packages.Error{Msg: err.Error(), Kind: packages.TypeError})
		},
	}
	if p.Module != nil && p.Module.GoVersion != "" {
		tc.GoVersion = "go" + p.Module.GoVersion
	}
	p.Types, _ = tc.Check(p.PkgPath, fset, p.Syntax, p.TypesInfo)
	p.IllTyped = len(p.Errors) > 0
	return nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

// readExport loads an import's types from its export data, once per run.
func readExport(ip *packages.Package, fset *token.FileSet, imports map[string]*types.Package) (*types.Package, error) {
	if tp, ok := imports[ip.PkgPath]; ok && tp.Complete() {
		return tp, nil
	}
	if ip.ExportFile == "" {
		return nil, fmt.Errorf("no export data for %s", ip.PkgPath)
	}
	f, err := os.Open(ip.ExportFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := gcexportdata.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("read export data of %s: %w", ip.PkgPath, err)
	}
	return gcexportdata.Read(r, fset, imports, ip.PkgPath)
}

// typeErrors reports the packages of pkgs that did not load, parse or
// type-check, each path once (with tests, a package and its test variant
// share a path and their errors).
func typeErrors(pkgs []*packages.Package) error {
	lerr := &LoadError{}
	seen := map[string]bool{}
	for _, p := range pkgs {
		if len(p.Errors) == 0 || seen[p.PkgPath] {
			continue
		}
		seen[p.PkgPath] = true
		lerr.Packages = append(lerr.Packages, p.PkgPath)
		for _, e := range p.Errors {
			lerr.Errors = append(lerr.Errors, e.Error())
		}
	}
	if len(lerr.Packages) == 0 {
		return nil
	}
	sort.Strings(lerr.Packages)
	return lerr
}

// parseDirectiveFiles parses, for //nolint handling, the files of a cached
// package that contain a directive at all.
func parseDirectiveFiles(fset *token.FileSet, src map[string][]byte) []*ast.File {
	names := make([]string, 0, len(src))
	for name := range src {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []*ast.File
	for _, name := range names {
		if !bytes.Contains(src[name], []byte("nolint")) {
			continue
		}
		if af, err := parser.ParseFile(fset, name, src[name], parser.ParseComments|parser.SkipObjectResolution); err == nil {
			out = append(out, af)
		}
	}
	return out
}
