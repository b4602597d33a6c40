// Command gokereval measures gocli lint against the goroutine-leak kernels
// that ship with Go ($GOROOT/src/runtime/testdata/testgoroutineleakprofile:
// the GoKer real-bug kernels plus the micro and common-pattern tests).
//
// Ground truth is the runtime's own test (goroutineleakprofile_test.go):
// for each kernel it names the functions whose goroutines leak, as regular
// expressions over "function [wait reason]". The command
//
//   - copies each program into a temporary module and runs the static
//     analyzers on it; a kernel counts as found statically when a finding
//     (or one of its related locations) lies inside a function declaration
//     the runtime test names, or within three lines of a blocking site that
//     the dynamic run observed;
//   - builds each program with GOEXPERIMENT=goroutineleakprofile, runs every
//     kernel -reps times, and counts a kernel as found dynamically when a
//     leaked goroutine matches one of the runtime test's expressions;
//   - counts findings in kernels that must not leak as false positives.
//
// It prints a Markdown table per kernel and the totals; -json writes the
// raw figures.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gocli/gocli/lint/runner"
)

type kernel struct {
	Name     string   `json:"name"`
	Program  string   `json:"program"`
	File     string   `json:"file"`
	Expected []string `json:"expected"` // regexps from the runtime test
	Flaky    bool     `json:"flaky"`
	Listed   bool     `json:"listed"` // the runtime test lists it

	Static       bool     `json:"static"`
	StaticHits   []string `json:"staticHits,omitempty"`
	Dynamic      bool     `json:"dynamic"`
	DynamicSites []string `json:"dynamicSites,omitempty"`
	FalsePos     []string `json:"falsePositives,omitempty"`
}

func main() {
	reps := flag.Int("reps", 3, "dynamic runs per kernel")
	jsonOut := flag.String("json", "", "write per-kernel results to this file")
	noDynamic := flag.Bool("static-only", false, "skip the dynamic runs")
	flag.Parse()
	if err := run(*reps, *jsonOut, !*noDynamic); err != nil {
		fmt.Fprintln(os.Stderr, "gokereval:", err)
		os.Exit(2)
	}
}

func run(reps int, jsonOut string, dynamic bool) error {
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return fmt.Errorf("go env GOROOT: %w", err)
	}
	root := filepath.Join(strings.TrimSpace(string(goroot)), "src", "runtime")
	base := filepath.Join(root, "testdata", "testgoroutineleakprofile")
	if _, err := os.Stat(base); err != nil {
		return fmt.Errorf("this Go has no leak-profile kernels (%s): Go 1.26+ is needed", base)
	}
	expect, err := parseExpectations(filepath.Join(root, "goroutineleakprofile_test.go"))
	if err != nil {
		return err
	}
	var all []*kernel
	for _, prog := range []struct{ name, dir string }{{"patterns", base}, {"goker", filepath.Join(base, "goker")}} {
		ks, err := evalProgram(prog.name, prog.dir, expect, reps, dynamic)
		if err != nil {
			return fmt.Errorf("%s: %w", prog.name, err)
		}
		all = append(all, ks...)
	}
	printTable(all, dynamic)
	if jsonOut != "" {
		data, _ := json.MarshalIndent(all, "", "  ")
		if err := os.WriteFile(jsonOut, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

type expectation struct {
	leaks []string
	flaky bool
}

var callRE = regexp.MustCompile(`make(Flaky)?Test\(\s*"(\w+)"((?:\s*,\s*` + "`[^`]*`" + `)*)\s*,?\s*\)`)
var rawRE = regexp.MustCompile("`([^`]*)`")

// parseExpectations reads the kernels and their expected leaks from the
// runtime's test.
func parseExpectations(path string) (map[string]expectation, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the runtime's leak test: %w", err)
	}
	src := string(data)
	// Drop commented-out cases (Kubernetes1321 is kept there "for posterity").
	var kept []string
	for _, l := range strings.Split(src, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "//") {
			kept = append(kept, l)
		}
	}
	src = strings.Join(kept, "\n")
	out := map[string]expectation{}
	for _, m := range callRE.FindAllStringSubmatch(src, -1) {
		var leaks []string
		for _, r := range rawRE.FindAllStringSubmatch(m[3], -1) {
			leaks = append(leaks, r[1])
		}
		out[m[2]] = expectation{leaks: leaks, flaky: m[1] != ""}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no test cases found in %s", path)
	}
	return out, nil
}

type funcSpan struct {
	key        string // "Func" or "Type.Method"
	file       string
	start, end int
}

func evalProgram(name, src string, expect map[string]expectation, reps int, dynamic bool) ([]*kernel, error) {
	dir, err := os.MkdirTemp("", "gokereval-"+name)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	files, _ := filepath.Glob(filepath.Join(src, "*.go"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module "+name+"\n\ngo 1.26\n"), 0o644); err != nil {
		return nil, err
	}

	// Kernels: register("Name", Fn) calls, and each program's functions.
	fset := token.NewFileSet()
	var spans []funcSpan
	kernels := map[string]*kernel{}
	var order []string
	for _, f := range files {
		base := filepath.Base(f)
		af, err := parser.ParseFile(fset, filepath.Join(dir, base), nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range af.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			key := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				key = recvName(fd.Recv.List[0].Type) + "." + key
			}
			spans = append(spans, funcSpan{key, base, fset.Position(fd.Pos()).Line, fset.Position(fd.End()).Line})
		}
		ast.Inspect(af, func(n ast.Node) bool {
			c, ok := n.(*ast.CallExpr)
			if !ok || len(c.Args) != 2 {
				return true
			}
			if id, ok := c.Fun.(*ast.Ident); ok && (id.Name == "register" || id.Name == "registerInit") {
				if lit, ok := c.Args[0].(*ast.BasicLit); ok {
					kn, _ := strconv.Unquote(lit.Value)
					e, listed := expect[kn]
					kernels[kn] = &kernel{Name: kn, Program: name, File: base, Expected: e.leaks, Flaky: e.flaky, Listed: listed}
					order = append(order, kn)
				}
			}
			return true
		})
	}

	res, err := runner.Run(context.Background(), runner.Options{Dir: dir})
	if err != nil {
		return nil, fmt.Errorf("static analysis: %w", err)
	}

	var sites map[string][]site
	if dynamic {
		sites, err = runDynamic(dir, order, kernels, reps)
		if err != nil {
			return nil, err
		}
	}

	var out []*kernel
	for _, kn := range order {
		k := kernels[kn]
		declKeys := map[string]bool{}
		for _, e := range k.Expected {
			declKeys[declOf(e)] = true
		}
		// the kernel's own entry point counts as well: leaks in its closures
		// are named Kernel.funcN
		inKernel := func(l runner.Location) bool {
			for _, s := range spans {
				if s.file == l.File && l.Line >= s.start && l.Line <= s.end && declKeys[s.key] {
					return true
				}
			}
			for _, st := range sites[kn] {
				for _, fr := range st.frames {
					if fr.file == l.File && abs(fr.line-l.Line) <= 3 {
						return true
					}
				}
			}
			return false
		}
		inEntry := func(l runner.Location) bool {
			for _, s := range spans {
				if s.file == l.File && l.Line >= s.start && l.Line <= s.end && s.key == kn {
					return true
				}
			}
			return false
		}
		for _, f := range res.Findings {
			locs := []runner.Location{f.Location}
			for _, r := range f.Related {
				locs = append(locs, r.Location)
			}
			for _, l := range locs {
				if len(k.Expected) > 0 && inKernel(l) {
					k.Static = true
					k.StaticHits = append(k.StaticHits, fmt.Sprintf("%s [%s]", f.Location, f.Rule))
					break
				}
				if len(k.Expected) == 0 && k.Listed && (inEntry(l) || l.File == k.File && k.Program == "goker") {
					k.FalsePos = append(k.FalsePos, fmt.Sprintf("%s [%s]", f.Location, f.Rule))
					break
				}
			}
		}
		for _, st := range sites[kn] {
			k.DynamicSites = append(k.DynamicSites, st.desc)
			for _, e := range k.Expected {
				if regexp.MustCompile(e).MatchString(st.desc) {
					k.Dynamic = true
				}
			}
		}
		out = append(out, k)
	}
	return out, nil
}

type site struct {
	file   string
	line   int
	desc   string // "function [wait reason]" as the runtime test matches it
	frames []frame
}

// frame is one call on a leaked goroutine's stack in the program's files.
type frame struct {
	file string
	line int
}

var headerRE = regexp.MustCompile(`^goroutine \d+ \[(.*) \(leaked\)\]:`)
var frameRE = regexp.MustCompile(`^\t(.*\.go):(\d+)`)

func runDynamic(dir string, order []string, kernels map[string]*kernel, reps int) (map[string][]site, error) {
	bin := filepath.Join(dir, "kernels.bin")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOEXPERIMENT=goroutineleakprofile")
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("build kernels: %v\n%s", err, out)
	}
	out := map[string][]site{}
	for _, kn := range order {
		if len(kernels[kn].Expected) == 0 && !kernels[kn].Listed {
			continue
		}
		seen := map[string]bool{}
		for i := 0; i < reps; i++ {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			cmd := exec.CommandContext(ctx, bin, kn)
			env := append(os.Environ(), "GODEBUG=asyncpreemptoff=1", "GOEXPERIMENT=goroutineleakprofile")
			if i%2 == 0 {
				env = append(env, "GOMAXPROCS=1")
			}
			cmd.Env = env
			data, _ := cmd.Output()
			cancel()
			for _, s := range parseLeaks(data) {
				if !seen[s.desc+s.file+strconv.Itoa(s.line)] {
					seen[s.desc+s.file+strconv.Itoa(s.line)] = true
					out[kn] = append(out[kn], s)
				}
			}
		}
	}
	return out, nil
}

// parseLeaks extracts leaked goroutines from a debug=2 profile: the function
// the goroutine was started in and its wait reason (as the runtime test
// does), and the innermost frame in the program's own files.
func parseLeaks(data []byte) []site {
	var out []site
	for _, block := range bytes.Split(data, []byte("\n\n")) {
		sc := bufio.NewScanner(bytes.NewReader(block))
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if len(lines) < 5 {
			continue
		}
		m := headerRE.FindStringSubmatch(lines[0])
		if m == nil {
			continue
		}
		var fn string
		for i := len(lines) - 1; i >= 2; i-- {
			if strings.HasPrefix(lines[i], "created by") {
				fn = strings.TrimPrefix(lines[i-2], "main.")
				break
			}
		}
		s := site{desc: fn + " [" + m[1] + "]"}
		for i, l := range lines[1:] {
			fm := frameRE.FindStringSubmatch(l)
			if fm == nil || strings.Contains(fm[1], "/src/runtime/") || strings.Contains(fm[1], "/src/sync/") || strings.Contains(fm[1], "/src/internal/") {
				continue
			}
			if i > 0 && strings.HasPrefix(lines[i], "created by") {
				break // the go statement is in the creator's code, not on this stack
			}
			n, _ := strconv.Atoi(fm[2])
			if s.file == "" {
				s.file, s.line = filepath.Base(fm[1]), n
			}
			s.frames = append(s.frames, frame{filepath.Base(fm[1]), n})
		}
		out = append(out, s)
	}
	return out
}

// declOf turns an expected-leak expression such as
// `\(\*Store_cockroach2448\)\.processRaft\(.* \[select\]` into the
// declaration it names: "Store_cockroach2448.processRaft".
func declOf(expr string) string {
	s := strings.ReplaceAll(expr, `\`, "")
	s = strings.TrimPrefix(s, "(")
	s = strings.TrimPrefix(s, "*")
	if i := strings.Index(s, ")."); i >= 0 && !strings.ContainsAny(s[:i], " [(") {
		typ := s[:i]
		rest := s[i+2:]
		end := strings.IndexAny(rest, ".( ")
		if end < 0 {
			end = len(rest)
		}
		return typ + "." + rest[:end]
	}
	end := strings.IndexAny(s, ".( ")
	if end < 0 {
		end = len(s)
	}
	return s[:end]
}

func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	case *ast.IndexExpr:
		return recvName(x.X)
	}
	return "?"
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func printTable(ks []*kernel, dynamic bool) {
	sort.SliceStable(ks, func(i, j int) bool {
		if ks[i].Program != ks[j].Program {
			return ks[i].Program > ks[j].Program
		}
		return ks[i].Name < ks[j].Name
	})
	fmt.Println("| kernel | leaks (runtime test) | static | dynamic |")
	fmt.Println("|---|---|---|---|")
	var leaking, static, dyn, dynReliable, reliable, negatives, fps int
	for _, k := range ks {
		if !k.Listed {
			continue
		}
		kind := "none"
		if len(k.Expected) > 0 {
			kind = "reliable"
			if k.Flaky {
				kind = "flaky"
			}
		}
		mark := func(b bool) string {
			if b {
				return "found"
			}
			return "-"
		}
		st := mark(k.Static)
		if len(k.Expected) == 0 {
			negatives++
			st = "clean"
			if len(k.FalsePos) > 0 {
				st = fmt.Sprintf("%d false positive(s)", len(k.FalsePos))
				fps += len(k.FalsePos)
			}
		}
		dy := "-"
		if dynamic {
			dy = mark(k.Dynamic)
			if len(k.Expected) == 0 && len(k.DynamicSites) > 0 {
				dy = "unexpected leak"
			}
		}
		fmt.Printf("| %s/%s | %s | %s | %s |\n", k.Program, k.Name, kind, st, dy)
		if len(k.Expected) > 0 {
			leaking++
			if k.Static {
				static++
			}
			if k.Dynamic {
				dyn++
			}
			if !k.Flaky {
				reliable++
				if k.Dynamic {
					dynReliable++
				}
			}
		}
	}
	fmt.Println()
	fmt.Printf("static recall: %d/%d leaking kernels (%.0f%%)\n", static, leaking, 100*float64(static)/float64(max(leaking, 1)))
	if dynamic {
		fmt.Printf("dynamic recall: %d/%d leaking kernels (%.0f%%); %d/%d of those the runtime test detects reliably\n",
			dyn, leaking, 100*float64(dyn)/float64(max(leaking, 1)), dynReliable, reliable)
	}
	fmt.Printf("false positives on non-leaking kernels: %d (in %d kernels)\n", fps, negatives)
}
