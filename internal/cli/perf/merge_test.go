package perf

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunMergeSegments(t *testing.T) {
	srv := testServer(t)
	dir := t.TempDir()
	s := script(t, dir, "seg.js", `import http from 'k6/http';
export const options = { vus: 3, iterations: 30, thresholds: { http_reqs: ['count==30'] } };
export default function () { http.get(__ENV.BASE_URL + '/ok'); }
`)
	var files []string
	for i := 0; i < 3; i++ {
		f, _, errOut := factory(t, "text", nil, dir)
		out := filepath.Join(dir, "seg"+string(rune('1'+i))+".json")
		opts := &RunOptions{Factory: f, Script: s, URL: srv.URL, SegmentIndex: i, SegmentCount: 3, SummaryExport: out, Quiet: true, NoSummary: true}
		// Each segment alone has 10 requests: its own threshold fails.
		if err := runRun(context.Background(), opts); exitCode(err) != 99 {
			t.Fatalf("segment %d: exit %d (%v)\n%s", i, exitCode(err), err, errOut)
		}
		files = append(files, out)
	}
	// Concatenate two of them, as kubectl logs would, and pass the third
	// as a file.
	var stdin []byte
	for _, p := range files[:2] {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		stdin = append(stdin, b...)
	}
	f, out, errOut := factory(t, "json", nil, dir)
	f.IO.In = strings.NewReader(string(stdin))
	cmd := NewCmdMerge(f, nil)
	cmd.SetArgs([]string{"-", files[2], "--report", filepath.Join(dir, "all.md")})
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("merge: %v\n%s", err, errOut)
	}
	var doc struct {
		Metrics map[string]map[string]any       `json:"metrics"`
		State   struct{ ThresholdsPassed bool } `json:"state"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if !doc.State.ThresholdsPassed || doc.Metrics["http_reqs"]["count"] != 30.0 {
		t.Fatalf("merged: passed=%v reqs=%v", doc.State.ThresholdsPassed, doc.Metrics["http_reqs"]["count"])
	}
	if !strings.Contains(errOut.String(), "merged 3 results") {
		t.Errorf("stderr: %s", errOut)
	}
	// The same segment twice is refused.
	f2, out2, errOut2 := factory(t, "text", nil, dir)
	cmd = NewCmdMerge(f2, nil)
	cmd.SetArgs([]string{files[0], files[0]})
	cmd.SetOut(out2)
	cmd.SetErr(errOut2)
	if err := cmd.Execute(); exitCode(err) != 2 {
		t.Fatalf("duplicate segments: exit %d (%v)", exitCode(err), err)
	}
}
