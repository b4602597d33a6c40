package perf

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/command/commandtest"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/internal/config"
	"github.com/gocli/gocli/perf"
)

func TestNewCmdRun(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    RunOptions
		wantErr string
	}{
		{
			name: "url and load shape",
			args: []string{"load.js", "--url", "http://x", "--vus", "5", "--duration", "30s", "-e", "A=1", "--report", "r.html", "--report", "r.md"},
			want: RunOptions{Script: "load.js", URL: "http://x", VUs: 5, Duration: 30 * time.Second, Env: []string{"A=1"}, Reports: []string{"r.html", "r.md"}, SystemEnv: true, SegmentIndex: -1},
		},
		{
			name: "stages and segment",
			args: []string{"load.js", "--target", "staging", "--stage", "10s:5", "-s", "1m:0", "--segment", "2/4", "--summary-export", "-", "-q"},
			want: RunOptions{Script: "load.js", Target: "staging", Stages: []string{"10s:5", "1m:0"}, Segment: "2/4", SummaryExport: "-", Quiet: true, SystemEnv: true, SegmentIndex: -1},
		},
		{
			name: "job index",
			args: []string{"load.js", "--segment-index", "0", "--segment-count", "3", "--include-system-env-vars=false"},
			want: RunOptions{Script: "load.js", SegmentIndex: 0, SegmentCount: 3},
		},
		{name: "target and url", args: []string{"a.js", "--target", "x", "--url", "http://y"}, wantErr: "--target and --url"},
		{name: "bad stage", args: []string{"a.js", "--stage", "10s"}, wantErr: "DURATION:TARGET"},
		{name: "stage with duration", args: []string{"a.js", "--stage", "10s:1", "--duration", "1m"}, wantErr: "cannot be combined"},
		{name: "bad env", args: []string{"a.js", "-e", "NOEQUALS"}, wantErr: "KEY=VALUE"},
		{name: "bad segment", args: []string{"a.js", "--segment", "5/4"}, wantErr: "1 <= i <= N"},
		{name: "bad report", args: []string{"a.js", "--report", "r.pdf"}, wantErr: ".html or .md"},
		{name: "no script", args: []string{}, wantErr: "accepts 1 arg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &command.Factory{Globals: &command.Globals{Output: "text"}}
			var got *RunOptions
			cmd := NewCmdRun(f, func(_ context.Context, o *RunOptions) error { got = o; return nil })
			if commandtest.WantErr(t, commandtest.ParseArgs(t, cmd, tt.args), tt.wantErr) {
				return
			}
			got.Factory = nil
			if !reflect.DeepEqual(tt.want, *got) {
				t.Fatalf("options\n got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Env") != "" && r.Header.Get("X-Env") != "staging-token" {
			w.WriteHeader(401)
			return
		}
		w.Write([]byte("ok"))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

const passingScript = `import http from 'k6/http';
import { check } from 'k6';
export const options = { iterations: 4, thresholds: { checks: ['rate==1'], http_req_failed: ['rate==0'] } };
export default function () {
  check(http.get(__ENV.BASE_URL + '/ok'), { 'ok': (r) => r.status === 200 && __ENV.TARGET !== '' });
}
`

const failingScript = `import http from 'k6/http';
export const options = { iterations: 3, thresholds: { http_req_failed: ['rate<0.5'] } };
export default function () { http.get(__ENV.BASE_URL + '/fail'); }
`

func script(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func factory(t *testing.T, output string, cfg *config.Config, wd string) (*command.Factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	if cfg == nil {
		cfg = &config.Config{}
	}
	return &command.Factory{
		IO:      ios,
		Globals: &command.Globals{Output: output},
		Config:  func() (*config.Config, error) { return cfg, nil },
		Getwd:   func() (string, error) { return wd, nil },
		Now:     time.Now,
	}, out, errOut
}

func exitCode(err error) int {
	var ee *command.ExitError
	var fe *command.FlagError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.Code
	case errors.As(err, &fe):
		return 2
	}
	return 1
}

func TestRunRun(t *testing.T) {
	srv := testServer(t)
	dir := t.TempDir()
	pass := script(t, dir, "pass.js", passingScript)
	fail := script(t, dir, "fail.js", failingScript)
	bad := script(t, dir, "bad.js", "import x from 'k6/nope';\nexport default function () {}\n")
	tests := []struct {
		name     string
		opts     RunOptions
		output   string
		tty      bool
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{name: "passes, text", opts: RunOptions{Script: pass, URL: srv.URL}, wantOut: []string{"✓ ok", "✓ checks.", "http_reqs......", ": 4 "}, wantErr: []string{"scenarios: 1 scenario(s)", "4 iterations shared among 1 VUs"}},
		{name: "passes, tty colour", opts: RunOptions{Script: pass, URL: srv.URL}, tty: true, wantOut: []string{"\x1b[32m✓\x1b[0m checks"}},
		{name: "passes, json", opts: RunOptions{Script: pass, URL: srv.URL, Quiet: true}, output: "json", wantOut: []string{`"thresholdsPassed": true`, `"gocli": {`}},
		{name: "fails thresholds", opts: RunOptions{Script: fail, URL: srv.URL, Quiet: true}, wantCode: 99, wantOut: []string{"✗ http_req_failed"}},
		{name: "bad script", opts: RunOptions{Script: bad, URL: srv.URL}, wantCode: 2},
		{name: "missing script", opts: RunOptions{Script: filepath.Join(dir, "nope.js")}, wantCode: 2},
		{name: "unknown target", opts: RunOptions{Script: pass, Target: "prod"}, wantCode: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, errOut := factory(t, tt.output, nil, dir)
			f.IO.SetStdoutTTY(tt.tty)
			f.IO.SetColorEnabled(tt.tty)
			tt.opts.Factory = f
			tt.opts.SegmentIndex = -1
			tt.opts.ProgressInterval = 10 * time.Millisecond
			err := runRun(context.Background(), &tt.opts)
			if got := exitCode(err); got != tt.wantCode {
				t.Fatalf("exit code %d (%v), want %d\nstderr:\n%s", got, err, tt.wantCode, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out.String(), w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if tt.output == "json" && !json.Valid(out.Bytes()) {
				t.Errorf("stdout is not JSON:\n%s", out)
			}
		})
	}
}

func TestRunTargetFromConfig(t *testing.T) {
	srv := testServer(t)
	dir := t.TempDir()
	script(t, dir, "perf/load.js", passingScript)
	t.Setenv("STAGING_TOKEN", "staging-token")
	cfg := &config.Config{Perf: config.Perf{Targets: map[string]config.PerfTarget{
		"staging": {BaseURL: srv.URL + "/", Headers: map[string]string{"X-Env": "${STAGING_TOKEN}"}},
	}}}
	f, out, errOut := factory(t, "text", cfg, dir)
	// The shorthand: gocli perf --target staging --iterations 2 finds
	// perf/load.js by itself.
	cmd := NewCmdPerf(f, nil)
	cmd.SetArgs([]string{"--target", "staging", "--iterations", "2", "--summary-export", filepath.Join(dir, "out.json"), "--report", filepath.Join(dir, "sli.html"), "--report", filepath.Join(dir, "sli.md")})
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	if err := cmd.ExecuteContext(context.Background()); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if !strings.Contains(out.String(), "✓ ok") {
		t.Fatalf("the target's headers or BASE_URL did not reach the script:\n%s", out)
	}
	for _, name := range []string{"out.json", "sli.html", "sli.md"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || len(b) == 0 {
			t.Fatalf("%s not written: %v", name, err)
		}
	}
	html, _ := os.ReadFile(filepath.Join(dir, "sli.html"))
	if !strings.Contains(string(html), "<svg") || strings.Contains(string(html), "http://") && strings.Contains(string(html), "<script") {
		t.Errorf("HTML report is not self-contained with plots")
	}
}

func TestShorthandNeedsAScript(t *testing.T) {
	dir := t.TempDir()
	f, out, errOut := factory(t, "text", nil, dir)
	cmd := NewCmdPerf(f, nil)
	cmd.SetArgs([]string{"--duration", "1s"})
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.Execute()
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "perf.script") {
		t.Fatalf("err = %v", err)
	}
	script(t, dir, "perf/a.js", passingScript)
	script(t, dir, "perf/b.js", passingScript)
	err = cmd.Execute()
	if exitCode(err) != 2 || !strings.Contains(err.Error(), "several scripts") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunGracefulStopWritesReports(t *testing.T) {
	srv := testServer(t)
	dir := t.TempDir()
	long := script(t, dir, "long.js", "import http from 'k6/http';\nimport { sleep } from 'k6';\nexport const options = { vus: 2, duration: '1h' };\nexport default function () { http.get(__ENV.BASE_URL + '/ok'); sleep(0.01); }\n")
	f, out, _ := factory(t, "text", nil, dir)
	errOut := &lockedBuffer{}
	f.IO.ErrOut = errOut
	ctx, cancel := context.WithCancel(context.Background())
	report := filepath.Join(dir, "r.md")
	opts := &RunOptions{Factory: f, Script: long, URL: srv.URL, SegmentIndex: -1, Reports: []string{report}, ProgressInterval: 10 * time.Millisecond}
	done := make(chan error, 1)
	go func() { done <- runRun(ctx, opts) }()
	// Stop once the progress line shows requests.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if time.Now().After(deadline) {
			t.Fatal("no progress")
		}
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v", err)
		default:
		}
		if strings.Contains(errOut.String(), "reqs") {
			break
		}
		time.Sleep(5 * time.Millisecond) // polling the shared buffer
	}
	cancel()
	select {
	case err := <-done:
		if exitCode(err) != 130 {
			t.Fatalf("exit %d (%v), want 130", exitCode(err), err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("did not stop")
	}
	if !strings.Contains(out.String(), "interrupted: stopped by the user") {
		t.Errorf("summary lacks the interruption:\n%s", out)
	}
	b, err := os.ReadFile(report)
	if err != nil || !strings.Contains(string(b), "Interrupted") {
		t.Errorf("report after Ctrl-C: %v\n%s", err, b)
	}
}

// lockedBuffer is stderr shared by the run's progress and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// perf run collects garbage less often than Go's default unless GOGC is
// set, which is the user's choice.
func TestRunGCPercent(t *testing.T) {
	t.Setenv("GOGC", "50") // restored after the test
	o := &RunOptions{Script: "x.js", URL: "http://127.0.0.1:1", Env: []string{}}
	r, err := o.runner()
	if err != nil {
		t.Fatal(err)
	}
	if r.GCPercent != 0 {
		t.Errorf("with GOGC set: GCPercent = %d, want 0 (the environment's setting)", r.GCPercent)
	}
	os.Unsetenv("GOGC")
	if r, err = o.runner(); err != nil {
		t.Fatal(err)
	}
	if r.GCPercent != perf.DefaultGCPercent {
		t.Errorf("without GOGC: GCPercent = %d, want %d", r.GCPercent, perf.DefaultGCPercent)
	}
}
