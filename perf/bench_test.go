package perf

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"os"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/gocli/gocli/perf/js"
	"github.com/gocli/gocli/perf/metrics"
)

func trivialServer(b *testing.B) *httptest.Server {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHTTPGet64VUs measures the request rate of the trivial script
// with 64 VUs for 5 s against an in-process server (which shares the CPU;
// scripts/perf-compare.sh compares with wrk and vegeta on a separate one).
//
// PERF_BENCH_URL points it at an external server instead (for profiling the
// client alone). cpu-µs/req is the process's CPU time per request, which
// depends far less on other load on the machine than req/s does. The
// garbage collector runs as in `gocli perf run`: DefaultGCPercent unless
// GOGC is set.
func BenchmarkHTTPGet64VUs(b *testing.B) {
	url := os.Getenv("PERF_BENCH_URL")
	if url == "" {
		url = trivialServer(b).URL
	}
	gc := DefaultGCPercent
	if _, ok := os.LookupEnv("GOGC"); ok {
		gc = 0
	}
	for i := 0; i < b.N; i++ {
		cpu0 := cpuTime()
		sum, err := Runner{
			Script:    "testdata/trivial.js",
			Env:       map[string]string{"BASE_URL": url},
			Overrides: Overrides{VUs: 64, Duration: 5 * time.Second},
			GCPercent: gc,
		}.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		_, reqs, _ := sum.Store.Query(metrics.HTTPReqs, nil)
		_, d, _ := sum.Store.Query(metrics.HTTPReqDuration, nil)
		b.ReportMetric(reqs.Sum/sum.Duration().Seconds(), "req/s")
		b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/reqs.Sum, "cpu-µs/req")
		b.ReportMetric(d.Percentile(50), "p50-ms")
		b.ReportMetric(d.Percentile(99), "p99-ms")
	}
}

// BenchmarkLatencyIntervals shows which interval a latency figure
// covers. It paces GETs at 1000/s for 3 s, one at a time, through
// net/http's client as vegeta sends them, and reports for the same
// requests the median of vegeta's interval (from before the request is
// built to the body read and closed) and of k6's http_req_duration
// (sending + waiting + receiving: from the connection in hand to the body
// read); then the median http_req_duration of gocli running
// testdata/fixed_rate.js at the same rate. PERF_BENCH_URL as above.
func BenchmarkLatencyIntervals(b *testing.B) {
	url := os.Getenv("PERF_BENCH_URL")
	if url == "" {
		url = trivialServer(b).URL
	}
	const rate, dur = 1000, 3 * time.Second
	for i := 0; i < b.N; i++ {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
		var whole, k6 []time.Duration
		start := time.Now()
		for n := 0; n < int(rate*dur/time.Second); n++ {
			time.Sleep(time.Until(start.Add(time.Duration(n) * time.Second / rate))) // pacing
			var gotConn time.Time
			ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
				GotConn: func(httptrace.GotConnInfo) { gotConn = time.Now() },
			})
			t0 := time.Now()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/", nil)
			if err != nil {
				b.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			end := time.Now()
			whole = append(whole, end.Sub(t0))
			k6 = append(k6, end.Sub(gotConn))
		}
		client.CloseIdleConnections()
		sum, err := Runner{
			Script: "testdata/fixed_rate.js",
			Env:    map[string]string{"BASE_URL": url, "RATE": "1000", "DURATION": dur.String()},
		}.Run(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		_, d, _ := sum.Store.Query(metrics.HTTPReqDuration, nil)
		med := func(ds []time.Duration) float64 {
			slices.Sort(ds)
			return float64(ds[len(ds)/2]) / float64(time.Microsecond)
		}
		b.ReportMetric(med(whole), "nethttp-whole-p50-µs")
		b.ReportMetric(med(k6), "nethttp-k6-p50-µs")
		b.ReportMetric(d.Percentile(50)*1000, "gocli-p50-µs")
	}
}

// BenchmarkMemoryPerVU initializes 1000 VUs of a script with checks and
// sleep, makes one request on each, and reports the heap they hold.
func BenchmarkMemoryPerVU(b *testing.B) {
	srv := trivialServer(b)
	const n = 1000
	for i := 0; i < b.N; i++ {
		prg, err := js.CompileFile("testdata/idle_vus.js")
		if err != nil {
			b.Fatal(err)
		}
		reg := metrics.NewRegistry()
		env := &js.Env{Registry: reg, Store: metrics.NewStore(reg, time.Now()), Vars: map[string]string{"BASE_URL": srv.URL}}
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		vus := make([]*js.VU, n)
		for j := range vus {
			vu, err := js.NewVU(prg, env, j+1)
			if err != nil {
				b.Fatal(err)
			}
			vus[j] = vu
		}
		ctx, cancel := context.WithCancel(context.Background())
		for _, vu := range vus {
			// Cancel the sleep at once: only the state after a request
			// matters here.
			go cancel()
			_ = vu.RunIteration(ctx, js.Iteration{})
		}
		cancel()
		runtime.GC()
		runtime.ReadMemStats(&after)
		perVU := float64(after.HeapAlloc-before.HeapAlloc) / n
		b.ReportMetric(perVU/(1<<20), "MB/VU")
		runtime.KeepAlive(vus)
		for _, vu := range vus {
			vu.Close()
		}
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
