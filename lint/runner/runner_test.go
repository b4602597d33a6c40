package runner_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/gocli/gocli/lint/runner"
)

func runLeaky(t *testing.T, opts runner.Options) *runner.Result {
	t.Helper()
	opts.Dir = filepath.Join("testdata", "leaky")
	res, err := runner.Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func rulesAndLines(res *runner.Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Rule+"@"+f.Location.File+":"+itoa(f.Location.Line))
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestRunSuppression(t *testing.T) {
	res := runLeaky(t, runner.Options{})
	got := strings.Join(rulesAndLines(res), " ")
	want := "abandonedsend@leaky.go:8 abandonedsend@leaky.go:32 nolint@leaky.go:32 nolint@leaky.go:41"
	if got != want {
		t.Fatalf("findings:\n got %s\nwant %s", got, want)
	}
	if res.Suppressed != 1 {
		t.Errorf("Suppressed = %d, want 1 (the directive with a reason)", res.Suppressed)
	}
	for _, f := range res.Findings {
		if f.Rule == runner.NolintRule && f.Location.Line == 32 && !strings.Contains(f.Message, "needs a reason") {
			t.Errorf("line 32 message = %q, want a missing-reason finding", f.Message)
		}
		if f.Rule == runner.NolintRule && f.Location.Line == 41 && !strings.Contains(f.Message, "suppresses nothing") {
			t.Errorf("line 41 message = %q, want an unused-directive finding", f.Message)
		}
	}
}

func TestBaselineSurvivesLineMoves(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(filepath.Join("testdata", "leaky", "leaky.go"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(s string) {
		if err := os.WriteFile(filepath.Join(dir, "leaky.go"), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module leaky\n\ngo 1.26\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write(string(src))
	res, err := runner.Run(context.Background(), runner.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := runner.NewBaseline(res.Findings).Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "baseline.json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := runner.ReadBaseline(path)
	if err != nil {
		t.Fatal(err)
	}
	// Shift every line down: fingerprints must not change.
	write(strings.Replace(string(src), "import \"context\"\n", "import \"context\"\n\n// A comment that moves everything.\n", 1))
	res, err = runner.Run(context.Background(), runner.Options{Dir: dir, Baseline: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 0 || res.Baselined != 4 {
		t.Fatalf("after moving lines: %d findings (%v), %d baselined; want 0 and 4", len(res.Findings), rulesAndLines(res), res.Baselined)
	}
	// A new leak of the same shape is still reported.
	write(string(src) + "\nfunc Fourth(ctx context.Context) int {\n\tch := make(chan int)\n\tgo func() { ch <- 5 }()\n\tselect {\n\tcase v := <-ch:\n\t\treturn v\n\tcase <-ctx.Done():\n\t\treturn 0\n\t}\n}\n")
	res, err = runner.Run(context.Background(), runner.Options{Dir: dir, Baseline: b})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Findings) != 1 || res.Findings[0].Function != "Fourth" {
		t.Fatalf("new leak: got %v, want one finding in Fourth", rulesAndLines(res))
	}
}

func TestSARIFValidatesAgainstSchema(t *testing.T) {
	res := runLeaky(t, runner.Options{})
	var buf bytes.Buffer
	if err := runner.WriteSARIF(&buf, res, runner.ToolInfo{Version: "1.2.3"}); err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(filepath.Join("testdata", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatalf("compile schema: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("SARIF is not JSON: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Fatalf("SARIF does not validate against the 2.1.0 schema: %v\n%s", err, buf.String())
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID    string `json:"ruleId"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI       string `json:"uri"`
							URIBaseID string `json:"uriBaseId"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				Fixes []json.RawMessage `json:"fixes"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(buf.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || len(log.Runs[0].Results) != len(res.Findings) {
		t.Fatalf("unexpected SARIF shape: version %q, %d runs", log.Version, len(log.Runs))
	}
	first := log.Runs[0].Results[0]
	loc := first.Locations[0].PhysicalLocation
	if first.RuleID != "abandonedsend" || loc.ArtifactLocation.URI != "leaky.go" || loc.ArtifactLocation.URIBaseID != "%SRCROOT%" || loc.Region.StartLine != 8 {
		t.Errorf("first result = %+v", first)
	}
	if len(first.Fixes) != 1 {
		t.Errorf("first result has %d fixes, want the buffering fix", len(first.Fixes))
	}
}

func TestWriteGitHub(t *testing.T) {
	res := &runner.Result{Findings: []runner.Finding{{
		Rule: "abandonedsend", Message: "50% of senders, leak\nsecond line",
		Location: runner.Location{File: "a/b,c.go", Line: 3, Column: 7},
	}}}
	var buf bytes.Buffer
	if err := runner.WriteGitHub(&buf, res); err != nil {
		t.Fatal(err)
	}
	want := "::error file=a/b%2Cc.go,line=3,col=7,title=gocli lint%3A abandonedsend::50%25 of senders, leak%0Asecond line\n"
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestLoadErrorNamesPackages(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.go"), []byte("package broken\n\nfunc F() int { return \"x\" }\n"), 0o644)
	_, err := runner.Run(context.Background(), runner.Options{Dir: dir})
	var lerr *runner.LoadError
	if !asLoadError(err, &lerr) || len(lerr.Packages) != 1 || lerr.Packages[0] != "broken" {
		t.Fatalf("err = %v, want a LoadError naming package broken", err)
	}
}

func asLoadError(err error, target **runner.LoadError) bool {
	le, ok := err.(*runner.LoadError)
	if ok {
		*target = le
	}
	return ok
}

func TestApplyFixes(t *testing.T) {
	dir := t.TempDir()
	src, _ := os.ReadFile(filepath.Join("testdata", "leaky", "leaky.go"))
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module leaky\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "leaky.go"), src, 0o644)
	res, err := runner.Run(context.Background(), runner.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := runner.ApplyFixes(dir, res.Findings)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fixed != 2 {
		t.Errorf("fixed %d findings, want 2", rep.Fixed)
	}
	res, err = runner.Run(context.Background(), runner.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Rule == "abandonedsend" {
			t.Errorf("still reported after --fix: %s %s", f.Location, f.Message)
		}
	}
}
