package dynamic_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocli/gocli/lint/dynamic"
)

// TestRunFindsRealLeak runs a package whose test leaks a sender goroutine
// and checks the profile names the blocked send and the go statement.
func TestRunFindsRealLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary")
	}
	dir, _ := filepath.Abs(filepath.Join("testdata", "leaky"))
	res, err := dynamic.Run(context.Background(), dynamic.Options{Dir: dir, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Leaks) != 1 {
		t.Fatalf("leaks = %+v, want exactly one", res.Leaks)
	}
	l := res.Leaks[0]
	if filepath.Base(l.File) != "d.go" || l.Line != 8 || l.WaitReason != "chan send" || !strings.HasSuffix(l.CreatedAt, "d.go:8") || l.Runs != 2 {
		t.Errorf("leak = %+v, want the send at d.go:8 seen in both runs", l)
	}
}

func TestParseProfile(t *testing.T) {
	prof := "goroutine 1 [running]:\nmain.main()\n\t/x/main.go:3 +0x1\n\n" +
		"goroutine 7 [chan receive (leaked)]:\nexample.com/p.worker()\n\t/src/p/w.go:12 +0x3c\ncreated by example.com/p.Start in goroutine 1\n\t/src/p/w.go:5 +0x66\n"
	got := dynamic.ParseProfile([]byte(prof), "/src/p")
	if len(got) != 1 || got[0].File != "/src/p/w.go" || got[0].Line != 12 || got[0].CreatedAt != "/src/p/w.go:5" || got[0].WaitReason != "chan receive" {
		t.Fatalf("got %+v", got)
	}
}
