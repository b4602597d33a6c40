package bench_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/bench"
	"github.com/gocli/gocli/sandbox/sandboxtest"
)

func TestRunPutAndRange(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eps := c.Spec().Endpoints()
	put, err := bench.Run(ctx, bench.Options{Endpoints: eps, Op: "put", Clients: 8, Conns: 2, Total: 400, ValSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if put.Errors != 0 || put.Latency.P50 <= 0 || put.Latency.P99 < put.Latency.P50 || put.Latency.Max < put.Latency.P99 || put.Throughput <= 0 {
		t.Fatalf("put result = %+v", put)
	}
	cli := sandboxtest.Client(t, c)
	g, err := cli.Get(ctx, "0", clientPrefix()...)
	if err != nil || g.Count == 0 || g.Count > 400 {
		t.Fatalf("keys written = %d, %v", g.Count, err)
	}
	for _, cons := range []string{"l", "s"} {
		r, err := bench.Run(ctx, bench.Options{Endpoints: eps, Op: "range", Consistency: cons, Clients: 4, Conns: 1, Total: 200})
		if err != nil || r.Errors != 0 || r.Consistency != cons {
			t.Fatalf("range %s = %+v, %v", cons, r, err)
		}
	}
	if _, err := bench.Run(ctx, bench.Options{Endpoints: eps, Op: "delete"}); err == nil {
		t.Fatal("bench accepted op delete")
	}
}

// TestRateDurationAndCleanup checks the rate cap (the run cannot finish
// before Total/Rate seconds), the time box, the key prefix and the
// cleanup.
func TestRateDurationAndCleanup(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eps := c.Spec().Endpoints()
	cli := sandboxtest.Client(t, c)

	// 40 puts at 50/s: the limiter hands out the last token no sooner
	// than 39 intervals of 20ms after the first.
	r, err := bench.Run(ctx, bench.Options{Endpoints: eps, Op: "put", Clients: 4, Conns: 1, Total: 40, Rate: 50, KeyPrefix: "rate/"})
	if err != nil {
		t.Fatal(err)
	}
	if min := 39 * 20 * time.Millisecond; r.Duration < min || r.Requests != 40 || r.Errors != 0 {
		t.Fatalf("rate 50, 40 puts: took %v (at least %v), %d requests, %d errors", r.Duration, min, r.Requests, r.Errors)
	}
	g, err := cli.Get(ctx, "rate/", clientPrefix()...)
	if err != nil || g.Count == 0 {
		t.Fatalf("keys under rate/ = %d, %v", g.Count, err)
	}

	// A time box far shorter than the total: it stops early, and cleanup
	// removes what it wrote.
	r, err = bench.Run(ctx, bench.Options{Endpoints: eps, Op: "put", Clients: 2, Conns: 1, Total: 1_000_000, Rate: 100,
		Duration: 300 * time.Millisecond, KeyPrefix: "box/", Cleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests == 0 || r.Requests >= 1_000_000 || r.Latency.P50 <= 0 {
		t.Fatalf("time-boxed run: %+v", r)
	}
	if g, err := cli.Get(ctx, "box/", clientPrefix()...); err != nil || g.Count != 0 {
		t.Fatalf("after cleanup, keys under box/ = %d, %v", g.Count, err)
	}
	for _, o := range []bench.Options{
		{Endpoints: eps, Op: "put", Rate: -1},
		{Endpoints: eps, Op: "put", Duration: -time.Second},
		{Endpoints: eps, Op: "put", Cleanup: true},
	} {
		if _, err := bench.Run(ctx, o); err == nil {
			t.Errorf("bench accepted %+v", o)
		}
	}
}

// BenchmarkPut reports the sandbox's put throughput and p99 with 16
// clients on 4 connections, and the CPU the whole process (client and
// three nodes) spent per put: a figure far less sensitive to other load
// on the machine than puts/s.
func BenchmarkPut(b *testing.B) {
	c := sandboxtest.NewCluster(b, 3)
	cpu0 := cpuTime(b)
	r, err := bench.Run(context.Background(), bench.Options{Endpoints: c.Spec().Endpoints(), Op: "put", Clients: 16, Conns: 4, Total: max(b.N, 100)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.Throughput, "puts/s")
	b.ReportMetric(r.Latency.P99, "p99-ms")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(r.Requests), "cpu-µs/put")
}

// BenchmarkRange reports linearizable range throughput (64 clients on 8
// connections reading one key, as the goal is stated) and the
// CPU the process spent per read.
func BenchmarkRange(b *testing.B) {
	c := sandboxtest.NewCluster(b, 3)
	cpu0 := cpuTime(b)
	r, err := bench.Run(context.Background(), bench.Options{Endpoints: c.Spec().Endpoints(), Op: "range", Consistency: "l",
		Clients: 64, Conns: 8, Total: max(b.N, 100)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.Throughput, "reads/s")
	b.ReportMetric(r.Latency.P99, "p99-ms")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/float64(r.Requests), "cpu-µs/read")
}

// BenchmarkRate10Nodes is the latency goal: a 10-node sandbox at
// the default 100ms tick written at 50 KB/s (200 puts/s of 256 bytes)
// from 8 clients. It reports p50 and p99 (goal: p99 under 8.3 ms) and
// the CPU the whole process spent per put.
func BenchmarkRate10Nodes(b *testing.B) {
	c := sandboxtest.NewCluster(b, 10, sandbox.Options{Tick: 100 * time.Millisecond})
	cpu0 := cpuTime(b)
	r, err := bench.Run(context.Background(), bench.Options{Endpoints: c.Spec().Endpoints(), Op: "put",
		Clients: 8, Conns: 2, Total: max(b.N, 400), Rate: 200, ValSize: 256})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.Latency.P50, "p50-ms")
	b.ReportMetric(r.Latency.P99, "p99-ms")
	b.ReportMetric(r.Throughput, "puts/s")
	b.ReportMetric(float64((cpuTime(b)-cpu0).Microseconds())/1000/float64(r.Requests), "cpu-ms/put")
}

// A run connects before it starts the clock, so an endpoint that does not
// answer is an error naming it, not a run of failed requests.
func TestRunUnreachableEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := bench.Run(ctx, bench.Options{Endpoints: []string{addr}, Op: "put", Total: 10})
	if err == nil || !strings.Contains(err.Error(), "connect to "+addr) {
		t.Fatalf("bench against closed %s = %+v, %v; want a connect error naming it", addr, r, err)
	}
}
