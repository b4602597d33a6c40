package runner

import (
	"fmt"
	"path/filepath"
	"sort"
	"testing"

	"golang.org/x/tools/go/analysis/checker"
	"golang.org/x/tools/go/packages"
)

// TestVetAnalyzersHonourNolint runs the analyzers go vet's tool mode uses on
// the leaky module: the directive with a reason suppresses its finding, the
// one without does not and is reported, and the unused one is reported.
func TestVetAnalyzersHonourNolint(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("testdata", "leaky"))
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := packages.Load(&packages.Config{
		Dir: dir,
		Mode: packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
			packages.NeedTypes | packages.NeedTypesInfo | packages.NeedSyntax | packages.NeedTypesSizes,
	}, "./...")
	if err != nil || packages.PrintErrors(pkgs) > 0 {
		t.Fatalf("load testdata/leaky: %v", err)
	}
	graph, err := checker.Analyze(VetAnalyzers(), pkgs, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for act := range graph.All() {
		for _, d := range act.Diagnostics {
			p := act.Package.Fset.Position(d.Pos)
			got = append(got, fmt.Sprintf("%s:%d %s", filepath.Base(p.Filename), p.Line, act.Analyzer.Name))
		}
	}
	sort.Strings(got)
	want := []string{
		"leaky.go:32 abandonedsend", // //nolint without a reason does not suppress
		"leaky.go:32 nolint",        // ... and is reported
		"leaky.go:41 nolint",        // suppresses nothing
		"leaky.go:8 abandonedsend",  // no directive
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("vet-mode diagnostics:\n got %q\nwant %q", got, want)
	}
}
