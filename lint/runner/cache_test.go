package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const leakySrc = `package m

import "context"

func F(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}
`

// TestCache checks that cached results are reused, that editing a file
// invalidates them, that they match an uncached run, and that a package
// that does not type-check is still an error.
func TestCache(t *testing.T) {
	dir := t.TempDir()
	cache := t.TempDir()
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module m\n\ngo 1.26\n")
	write("m.go", leakySrc)
	ctx := context.Background()

	plain, err := Run(ctx, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	first, err := Run(ctx, Options{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Findings) != 1 || first.Findings[0].Fingerprint != plain.Findings[0].Fingerprint ||
		first.Findings[0].Message != plain.Findings[0].Message || len(first.Findings[0].Related) != len(plain.Findings[0].Related) {
		t.Fatalf("cached run differs from an uncached one:\n%+v\n%+v", first.Findings, plain.Findings)
	}

	// Plant a different result in the cache: an unchanged package must
	// report it, proving the analysis did not run again.
	entries, _ := filepath.Glob(filepath.Join(cache, "*", "*.json"))
	if len(entries) != 1 {
		t.Fatalf("cache entries = %v, want 1", entries)
	}
	planted := `[{"rule":"abandonedsend","message":"planted","location":{"file":"m.go","line":7,"column":17},"fingerprint":"x","source":"static"}]`
	if err := os.WriteFile(entries[0], []byte(planted), 0o644); err != nil {
		t.Fatal(err)
	}
	again, err := Run(ctx, Options{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Findings) != 1 || again.Findings[0].Message != "planted" {
		t.Fatalf("unchanged package was analysed again: %+v", again.Findings)
	}

	// Fixing the leak changes the key.
	write("m.go", strings.Replace(leakySrc, "make(chan int)", "make(chan int, 1)", 1))
	fixed, err := Run(ctx, Options{Dir: dir, CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	if len(fixed.Findings) != 0 {
		t.Fatalf("edited package served from the cache: %+v", fixed.Findings)
	}

	write("m.go", "package m\n\nfunc G() int { return undefined }\n")
	_, err = Run(ctx, Options{Dir: dir, CacheDir: cache})
	var lerr *LoadError
	if !errors.As(err, &lerr) || len(lerr.Packages) != 1 || lerr.Packages[0] != "m" || !strings.Contains(err.Error(), "undefined") {
		t.Fatalf("err = %v, want a LoadError naming m", err)
	}
}
