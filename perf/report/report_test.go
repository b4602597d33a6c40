package report

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gocli/gocli/perf"
)

func shop(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"products":[{"id":1},{"id":2}]}`))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(201) })
	mux.HandleFunc("GET /flaky", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.RawQuery, "1") || strings.HasSuffix(r.URL.RawQuery, "3") || strings.HasSuffix(r.URL.RawQuery, "5") || strings.HasSuffix(r.URL.RawQuery, "7") || strings.HasSuffix(r.URL.RawQuery, "9") {
			w.WriteHeader(500)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func runScript(t *testing.T, script string) *Model {
	t.Helper()
	sum, err := perf.Runner{Script: "../testdata/" + script, Env: map[string]string{"BASE_URL": shop(t)}}.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m, err := Build(sum)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestWriteText(t *testing.T) {
	m := runScript(t, "checks.js")
	var b bytes.Buffer
	if err := WriteText(&b, m, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	t.Log("\n" + out)
	for _, want := range []string{
		"     █ browse\n\n       ✓ status is 200\n       ✓ has products\n",
		"     █ order\n\n       ✓ created\n",
		"   ✓ checks.",
		": 100.00% ✓ 30       ✗ 0\n",
		"   ✓ http_req_duration.",
		"       { expected_response:true }.",
		"   ✓   { name:create-order }.",
		"     http_reqs.",
		": 20 ",
		"   ✓ orders_created.",
		"avg=",
		"p(95)=",
		"     running (",
		"10 complete iterations",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour codes without Color")
	}
}

func TestWriteTextFailures(t *testing.T) {
	m := runScript(t, "failing.js")
	var b bytes.Buffer
	if err := WriteText(&b, m, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"✗\x1b[0m status is 200", "50% — ", "✗\x1b[0m http_req_failed"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
}

func TestWriteJSON(t *testing.T) {
	m := runScript(t, "failing.js")
	var b bytes.Buffer
	if err := WriteJSON(&b, m); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Metrics   map[string]map[string]any `json:"metrics"`
		RootGroup struct {
			Checks map[string]struct{ Passes, Fails int } `json:"checks"`
		} `json:"root_group"`
		State struct {
			ThresholdsPassed bool `json:"thresholdsPassed"`
		} `json:"state"`
	}
	if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.State.ThresholdsPassed {
		t.Error("thresholdsPassed true")
	}
	f := doc.Metrics["http_req_failed"]
	if f["value"] != 0.5 || f["passes"] != 10.0 || f["thresholds"].(map[string]any)["rate<0.1"] != true {
		t.Errorf("http_req_failed export %v", f)
	}
	if c := doc.RootGroup.Checks["status is 200"]; c.Passes != 10 || c.Fails != 10 {
		t.Errorf("check export %+v", c)
	}
	if _, ok := doc.Metrics["http_req_duration"]["p(95)"]; !ok {
		t.Errorf("trend export %v", doc.Metrics["http_req_duration"])
	}
	// The export reads back as a mergeable result.
	back, err := perf.ReadResults(&b)
	if err != nil || len(back) != 1 || back[0].Passed() {
		t.Fatalf("read back %v %v", back, err)
	}
}

func TestReportsWithBaseline(t *testing.T) {
	m := runScript(t, "checks.js")
	base := *m
	base.SLI.P95 = m.SLI.P95 / 2 // the baseline was twice as fast
	base.SLI.RPS = m.SLI.RPS     // same throughput
	deltas := Compare(m, &base)
	flagged := map[string]bool{}
	for _, d := range deltas {
		flagged[d.Name] = d.Regression
	}
	if !flagged["p95"] || flagged["throughput"] || flagged["error rate"] {
		t.Fatalf("deltas %+v", deltas)
	}

	var md bytes.Buffer
	if err := WriteMarkdown(&md, m, &base); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"# SLI report: checks.js", "| Availability | 100.00% |", "## Thresholds", "`http_req_duration{name:create-order}`", "## Compared with the baseline", "| p95 |", "⚠️ regression", "## Responses by status", "| 201 | 10 |", "## Over time"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("markdown lacks %q:\n%s", want, md.String())
		}
	}

	var html bytes.Buffer
	if err := WriteHTML(&html, m, &base); err != nil {
		t.Fatal(err)
	}
	h := html.String()
	for _, want := range []string{"<!DOCTYPE html>", "<svg", "Latency percentiles (ms)", "<polyline", "Responses by status", "regression", "all 6 thresholds passed"} {
		if !strings.Contains(h, want) {
			t.Errorf("html lacks %q", want)
		}
	}
	// Self-contained: no scripts, no external resources.
	for _, bad := range []string{"<script", "src=", "href=", "@import", "https://"} {
		if strings.Contains(h, bad) {
			t.Errorf("html contains %q: it must work offline", bad)
		}
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{0: "0s", 0.1506: "150.6µs", 1.02: "1.02ms", 2510: "2.51s", 62000: "1m2s"} {
		if got := formatMillis(in); got != want {
			t.Errorf("formatMillis(%v) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[float64]string{880: "880 B", 1234: "1.2 kB", 12_345_678: "12.3 MB"} {
		if got := formatBytes(in); got != want {
			t.Errorf("formatBytes(%v) = %q, want %q", in, got, want)
		}
	}
}
