// Package dynamic runs a package's tests with Go's goroutineleak profile
// (GOEXPERIMENT=goroutineleakprofile, Go 1.26+) and turns the goroutines the
// runtime reports as leaked into findings.
//
// A TestMain that writes the profile when the tests finish is added through
// `go test -overlay`, so the user's files are never modified. Packages that
// define their own TestMain are run without it and reported as skipped.
package dynamic

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// Options say which tests to run.
type Options struct {
	Dir      string
	Packages []string // import paths or patterns; default ./...
	Count    int      // runs per package
	Run      string   // -run regexp
}

// Leak is one leaked goroutine shape, deduplicated across runs.
type Leak struct {
	Package    string `json:"package"`
	WaitReason string `json:"waitReason"`
	Function   string `json:"function"`
	File       string `json:"file"` // blocking frame in the module's code
	Line       int    `json:"line"`
	CreatedAt  string `json:"createdAt,omitempty"` // file:line of the go statement
	CreatedBy  string `json:"createdBy,omitempty"`
	Runs       int    `json:"runs"` // how many runs saw it
}

// Result is what a dynamic run observed.
type Result struct {
	Leaks   []Leak   `json:"leaks"`
	Skipped []string `json:"skipped,omitempty"` // packages with their own TestMain
	Failed  []string `json:"failed,omitempty"`  // packages whose tests failed
}

// Supported reports whether the Go toolchain can build with the leak profile.
func Supported(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	if err != nil {
		return fmt.Errorf("run go env GOVERSION: %w", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return fmt.Errorf("cannot read the Go version %q", v)
	}
	major, _ := strconv.Atoi(parts[0])
	minor, _ := strconv.Atoi(strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' }))
	if major < 1 || major == 1 && minor < 26 {
		return fmt.Errorf("the dynamic mode needs Go 1.26 or later (GOEXPERIMENT=goroutineleakprofile); this is go%s", v)
	}
	return nil
}

type listed struct {
	ImportPath   string
	Dir          string
	Name         string
	TestGoFiles  []string
	XTestGoFiles []string
}

const mainSrc = `package %s

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
)

// TestMain is added by gocli lint --dynamic through go test -overlay.
func TestMain(m *testing.M) {
	code := m.Run()
	// A goroutine started by the last test may not have run yet: until it
	// blocks it is runnable, not leaked. Let runnable goroutines run first.
	for range 20 {
		runtime.Gosched()
	}
	time.Sleep(20 * time.Millisecond)
	runtime.GC()
	if p := pprof.Lookup("goroutineleak"); p != nil {
		name := filepath.Join(os.Getenv("GOCLI_LEAK_DIR"), fmt.Sprintf("%%d.txt", os.Getpid()))
		if f, err := os.Create(name); err == nil {
			p.WriteTo(f, 2)
			f.Close()
		}
	}
	os.Exit(code)
}
`

var testMainRE = regexp.MustCompile(`(?m)^func TestMain\(`)

// Run runs the tests and collects the leaks.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if err := Supported(ctx); err != nil {
		return nil, err
	}
	if opts.Count < 1 {
		opts.Count = 1
	}
	pkgs := opts.Packages
	if len(pkgs) == 0 {
		pkgs = []string{"./..."}
	}
	list := exec.CommandContext(ctx, "go", append([]string{"list", "-json"}, pkgs...)...)
	list.Dir = opts.Dir
	out, err := list.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %w", strings.Join(pkgs, " "), err)
	}
	res := &Result{}
	leaks := map[string]*Leak{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			return nil, fmt.Errorf("read go list output: %w", err)
		}
		if len(p.TestGoFiles)+len(p.XTestGoFiles) == 0 {
			continue
		}
		if hasTestMain(p) {
			res.Skipped = append(res.Skipped, p.ImportPath)
			continue
		}
		if err := runPackage(ctx, opts, p, leaks, res); err != nil {
			return nil, err
		}
	}
	for _, l := range leaks {
		res.Leaks = append(res.Leaks, *l)
	}
	sort.Slice(res.Leaks, func(i, j int) bool {
		a, b := res.Leaks[i], res.Leaks[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return res, nil
}

func hasTestMain(p listed) bool {
	for _, f := range append(append([]string{}, p.TestGoFiles...), p.XTestGoFiles...) {
		data, err := os.ReadFile(filepath.Join(p.Dir, f))
		if err == nil && testMainRE.Match(data) {
			return true
		}
	}
	return false
}

func runPackage(ctx context.Context, opts Options, p listed, leaks map[string]*Leak, res *Result) error {
	tmp, err := os.MkdirTemp("", "gocli-leak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	pkgName := p.Name
	if len(p.TestGoFiles) == 0 {
		pkgName += "_test"
	}
	src := filepath.Join(tmp, "main_test.go")
	if err := os.WriteFile(src, []byte(fmt.Sprintf(mainSrc, pkgName)), 0o644); err != nil {
		return err
	}
	overlay := map[string]map[string]string{"Replace": {filepath.Join(p.Dir, "zz_gocli_leakmain_test.go"): src}}
	ov, _ := json.Marshal(overlay)
	ovPath := filepath.Join(tmp, "overlay.json")
	if err := os.WriteFile(ovPath, ov, 0o644); err != nil {
		return err
	}
	profDir := filepath.Join(tmp, "profiles")
	if err := os.Mkdir(profDir, 0o755); err != nil {
		return err
	}
	for i := 0; i < opts.Count; i++ {
		args := []string{"test", "-count=1", "-overlay", ovPath}
		if opts.Run != "" {
			args = append(args, "-run", opts.Run)
		}
		args = append(args, p.ImportPath)
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = opts.Dir
		cmd.Env = append(os.Environ(), "GOEXPERIMENT=goroutineleakprofile", "GOCLI_LEAK_DIR="+profDir)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			res.Failed = append(res.Failed, p.ImportPath)
		}
		files, _ := filepath.Glob(filepath.Join(profDir, "*.txt"))
		seen := map[string]bool{}
		for _, f := range files {
			data, _ := os.ReadFile(f)
			os.Remove(f)
			for _, l := range ParseProfile(data, p.Dir) {
				l.Package = p.ImportPath
				key := fmt.Sprintf("%s:%d|%s|%s", l.File, l.Line, l.CreatedAt, l.WaitReason)
				if seen[key] {
					continue
				}
				seen[key] = true
				if old, ok := leaks[key]; ok {
					old.Runs++
					continue
				}
				l.Runs = 1
				cp := l
				leaks[key] = &cp
			}
		}
	}
	return nil
}

var headerRE = regexp.MustCompile(`^goroutine \d+ \[(.*) \(leaked\)\]:`)
var frameRE = regexp.MustCompile(`^\t(.*\.go):(\d+)`)

// ParseProfile extracts the leaked goroutines from a debug=2 goroutineleak
// profile. The blocking site is the innermost frame in a file under dir
// (outside the Go root); CreatedAt is where the goroutine was started.
func ParseProfile(data []byte, dir string) []Leak {
	goroot := runtime.GOROOT()
	var out []Leak
	for _, block := range bytes.Split(data, []byte("\n\n")) {
		sc := bufio.NewScanner(bytes.NewReader(block))
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if len(lines) < 3 {
			continue
		}
		m := headerRE.FindStringSubmatch(lines[0])
		if m == nil {
			continue
		}
		l := Leak{WaitReason: m[1]}
		for i := 1; i+1 < len(lines); i++ {
			fm := frameRE.FindStringSubmatch(lines[i+1])
			if strings.HasPrefix(lines[i], "created by ") {
				l.CreatedBy = strings.TrimPrefix(lines[i], "created by ")
				if fm != nil {
					l.CreatedAt = fm[1] + ":" + fm[2]
				}
				break
			}
			if fm == nil || l.File != "" || (goroot != "" && strings.HasPrefix(fm[1], goroot)) {
				continue
			}
			if dir != "" && !strings.HasPrefix(fm[1], dir) {
				continue
			}
			l.Function = lines[i]
			l.File = fm[1]
			l.Line, _ = strconv.Atoi(fm[2])
		}
		if l.File != "" {
			out = append(out, l)
		}
	}
	return out
}
