package bench_test

import (
	"context"
	"testing"
	"time"

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

// BenchmarkPut reports the sandbox's put throughput and p99 with 16
// clients on 4 connections.
func BenchmarkPut(b *testing.B) {
	c := sandboxtest.NewCluster(b, 3)
	r, err := bench.Run(context.Background(), bench.Options{Endpoints: c.Spec().Endpoints(), Op: "put", Clients: 16, Conns: 4, Total: max(b.N, 100)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(r.Throughput, "puts/s")
	b.ReportMetric(r.Latency.P99, "p99-ms")
}
