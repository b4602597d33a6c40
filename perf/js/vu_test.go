package js

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocli/gocli/perf/metrics"
)

func newEnv(t *testing.T, vars map[string]string) *Env {
	t.Helper()
	reg := metrics.NewRegistry()
	return &Env{Registry: reg, Store: metrics.NewStore(reg, time.Now()), Vars: vars, HTTP: HTTPOptions{MaxRedirects: 10}}
}

func writeScript(t *testing.T, src string, extra map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "script.js")
	if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func server(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"hello":"world","items":[{"id":7}]}`))
	})
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Method", r.Method)
		w.Header().Set("X-Target", r.Header.Get("X-Target"))
		b := make([]byte, r.ContentLength)
		r.Body.Read(b)
		w.Write(b)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/ok", http.StatusFound) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestVUHTTPChecksGroupsCustomMetrics(t *testing.T) {
	srv := server(t)
	script := `
import http from 'k6/http';
import { check, group } from 'k6';
import { Counter, Trend, Rate } from 'k6/metrics';
import { helper } from './lib.js';

const hits = new Counter('my_hits');
const size = new Trend('body_size');
const good = new Rate('good_rate');
const payload = open('./payload.txt');

export const options = { vus: 2, thresholds: { my_hits: ['count>0'] } };

export default function (data) {
  group('api', function () {
    const res = http.get(__ENV.BASE_URL + '/ok', { tags: { name: 'ok' } });
    check(res, {
      'status is 200': (r) => r.status === 200,
      'hello': (r) => r.json('hello') === 'world',
      'items': (r) => r.json().items[0].id === 7,
    });
    size.add(res.body.length);
  });
  const p = http.post(__ENV.BASE_URL + '/echo', payload, { headers: { 'X-Target': helper() } });
  check(p, { 'echoed': (r) => r.body === 'PAYLOAD\n' && r.headers['X-Method'] === 'POST' && r.headers['X-Target'] === 'lib' });
  const f = http.get(__ENV.BASE_URL + '/fail');
  check(f, { 'fails': (r) => r.status === 200 });
  const rd = http.get(__ENV.BASE_URL + '/redirect');
  check(rd, { 'redirect followed': (r) => r.status === 200 && r.url.endsWith('/ok') });
  const b = http.batch([['GET', __ENV.BASE_URL + '/ok'], { method: 'GET', url: __ENV.BASE_URL + '/fail' }]);
  check(b, { 'batch': (r) => r[0].status === 200 && r[1].status === 503 });
  hits.add(1, { kind: 'x' });
  good.add(data.v === 42);
}

export function setup() { return { v: 42 }; }
`
	path := writeScript(t, script, map[string]string{
		"lib.js":      "export function helper() { return 'lib'; }\n",
		"payload.txt": "PAYLOAD\n",
	})
	prg, err := CompileFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, map[string]string{"BASE_URL": srv.URL})
	setupVU, err := NewVU(prg, env, 0)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := setupVU.Options()
	if err != nil || !strings.Contains(string(opts), `"vus":2`) {
		t.Fatalf("options %s, %v", opts, err)
	}
	data, err := setupVU.Call(context.Background(), "setup", nil)
	if err != nil || string(data) != `{"v":42}` {
		t.Fatalf("setup %s %v", data, err)
	}
	vu, err := NewVU(prg, env, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := vu.SetSetupData(data); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if err := vu.RunIteration(context.Background(), Iteration{Scenario: "default", Iter: int64(i)}); err != nil {
			t.Fatal(err)
		}
	}
	s := env.Store
	for name, want := range map[string]float64{"iterations": 3, "http_reqs": 18, "my_hits": 3} {
		if got := s.Total(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	for sel, want := range map[string]float64{"status is 200": 1, "hello": 1, "items": 1, "echoed": 1, "fails": 0, "redirect followed": 1, "batch": 1} {
		_, k, _ := s.Query("checks", map[string]string{"check": sel})
		if k.Count != 3 || k.RateValue() != want {
			t.Errorf("check %q: %d samples, rate %v; want 3, %v", sel, k.Count, k.RateValue(), want)
		}
	}
	_, k, _ := s.Query("http_req_duration", map[string]string{"group": "::api", "name": "ok"})
	if k.Count != 3 {
		t.Errorf("grouped named requests: %d, want 3", k.Count)
	}
	_, k, _ = s.Query("http_req_failed", nil)
	if k.Trues != 6 || k.Count != 18 {
		t.Errorf("http_req_failed %d/%d, want 6/18", k.Trues, k.Count)
	}
	_, k, _ = s.Query("good_rate", nil)
	if k.RateValue() != 1 {
		t.Errorf("setup data not passed: good_rate %v", k.RateValue())
	}
	if s.Total("data_received") <= 0 || s.Total("data_sent") <= 0 {
		t.Errorf("data counters not recorded")
	}
}

func TestScriptErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"syntax error", "import http from 'k6/http';\nexport default function () {\n  let x = ;\n}\n", "script.js:3:11: SyntaxError: Unexpected token ;"},
		{"unknown module", "import ws from 'k6/ws';\nexport default function () {}\n", `unsupported module "k6/ws"`},
		{"remote module", "import x from 'https://jslib.k6.io/x.js';\nexport default function () {}\n", `unsupported module "https://jslib.k6.io/x.js"`},
		{"unknown named export", "import { nope } from 'k6';\nexport default function () {}\n", `module "k6" has no export named "nope"`},
		{"unknown function on default", "import http from 'k6/http';\nhttp.websocket();\n", "k6/http.websocket is not supported by gocli"},
		{"unsupported param", "import http from 'k6/http';\nexport default function () { http.get('http://127.0.0.1:1', { jar: null }); }\n", ""},
		{"init exception", "const x = null;\nx.y = 1;\n", "script.js:2:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeScript(t, tt.src, nil)
			prg, err := CompileFile(path)
			if err == nil {
				_, err = NewVU(prg, newEnv(t, nil), 1)
			}
			if tt.want == "" {
				return // errors only at iteration time; covered below
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestExceptionInIteration(t *testing.T) {
	path := writeScript(t, "import http from 'k6/http';\nexport default function () {\n  if (__ITER === 1) {\n    throw new Error('boom');\n  }\n  http.get('http://x', { jar: 1 });\n}\n", nil)
	prg, err := CompileFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, nil)
	vu, err := NewVU(prg, env, 1)
	if err != nil {
		t.Fatal(err)
	}
	err = vu.RunIteration(context.Background(), Iteration{Iter: 1})
	var se *ScriptError
	if !errors.As(err, &se) || se.Pos != filepath.Join(filepath.Dir(path), "script.js")+":4:11" && !strings.HasSuffix(se.Pos, "script.js:4:11") || se.Msg != "Error: boom" {
		t.Fatalf("error %#v", err)
	}
	err = vu.RunIteration(context.Background(), Iteration{Iter: 2})
	if err == nil || !strings.Contains(err.Error(), `request parameter "jar" is not supported`) {
		t.Fatalf("error %v", err)
	}
	if got := env.Store.Total("script_errors"); got != 2 {
		t.Fatalf("script_errors = %v, want 2", got)
	}
	if got := env.Store.Total("iterations"); got != 2 {
		t.Fatalf("iterations = %v, want 2", got)
	}
}

func TestInterruptSleep(t *testing.T) {
	path := writeScript(t, "import { sleep } from 'k6';\nexport default function () { sleep(30); }\n", nil)
	prg, err := CompileFile(path)
	if err != nil {
		t.Fatal(err)
	}
	env := newEnv(t, nil)
	vu, err := NewVU(prg, env, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- vu.RunIteration(ctx, Iteration{}) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("err = %v, want ErrInterrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("sleep was not interrupted")
	}
	// A busy loop is interrupted too.
	path = writeScript(t, "export default function () { for (;;) {} }\n", nil)
	prg, _ = CompileFile(path)
	vu, _ = NewVU(prg, env, 2)
	ctx, cancel = context.WithCancel(context.Background())
	go func() { done <- vu.RunIteration(ctx, Iteration{}) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("err = %v, want ErrInterrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("loop was not interrupted")
	}
}

// BenchmarkIteration runs the trivial script's iteration on one VU: the
// engine's own cost per request (allocations are the figure to watch).
func BenchmarkIteration(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	dir := b.TempDir()
	p := filepath.Join(dir, "s.js")
	os.WriteFile(p, []byte("import http from 'k6/http';\nexport default function () { http.get(__ENV.BASE_URL + '/'); }\n"), 0o644)
	prg, err := CompileFile(p)
	if err != nil {
		b.Fatal(err)
	}
	reg := metrics.NewRegistry()
	env := &Env{Registry: reg, Store: metrics.NewStore(reg, time.Now()), Vars: map[string]string{"BASE_URL": srv.URL}, HTTP: HTTPOptions{MaxRedirects: 10}}
	vu, err := NewVU(prg, env, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer vu.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := vu.RunIteration(ctx, Iteration{Scenario: "default", Iter: int64(i)}); err != nil {
			b.Fatal(err)
		}
	}
}

// A module's default export reads the last property from a cache: writes
// and deletes must still show.
func TestStrictModuleCacheFollowsWrites(t *testing.T) {
	env := newEnv(t, nil)
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  const get = http.get;
  assert(http.get === get, 'same function twice');
  http.get = function () { return 'mine'; };
  assert(http.get() === 'mine', 'assigned property not seen');
  http.get = get;
  assert(http.get === get, 'restored property not seen');
  delete http.get;
  let msg = '';
  try { http.get('http://127.0.0.1:1/'); } catch (e) { msg = String(e); }
  assert(msg.indexOf('k6/http.get is not supported') >= 0, 'deleted property: ' + msg);
}
`)
	if err != nil {
		t.Fatal(err)
	}
}
