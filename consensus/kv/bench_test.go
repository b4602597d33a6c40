package kv_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

// benchCluster starts a 3-node cluster on loopback TCP with real files
// and returns it with its leader.
func benchCluster(b *testing.B, batching bool) (*consensustest.Cluster, *kv.Server) {
	c := consensustest.NewCluster(b, 3, consensustest.Options{
		Configure: func(cfg *consensus.Config) {
			if !batching {
				cfg.MaxBatchCount = 1
			}
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return c, c.Server(lid)
}

// runClients runs b.N operations over the given number of concurrent
// clients and reports throughput and latency percentiles.
func runClients(b *testing.B, clients int, op func(ctx context.Context, i int) error) {
	var next atomic.Int64
	lat := make([][]time.Duration, clients)
	var wg sync.WaitGroup
	var failed atomic.Int64
	b.ResetTimer()
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				t0 := time.Now()
				err := op(ctx, i)
				lat[c] = append(lat[c], time.Since(t0))
				cancel()
				if err != nil {
					failed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if f := failed.Load(); f > 0 {
		b.Fatalf("%d of %d operations failed", f, b.N)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	pct := func(p float64) float64 {
		return float64(all[int(float64(len(all)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkPut measures linearizable puts of 256-byte values through the
// leader of a 3-node cluster, with 1 and 64 concurrent clients, with
// proposal batching on and off.
func BenchmarkPut(b *testing.B) {
	value := make([]byte, 256)
	for _, batching := range []bool{true, false} {
		for _, clients := range []int{1, 64} {
			b.Run(fmt.Sprintf("batching=%v/clients=%d", batching, clients), func(b *testing.B) {
				_, l := benchCluster(b, batching)
				runClients(b, clients, func(ctx context.Context, i int) error {
					_, err := l.Put(ctx, kv.PutRequest{Key: fmt.Appendf(nil, "key%d", i%1024), Value: value})
					return err
				})
			})
		}
	}
}

// BenchmarkReadIndex measures linearizable reads (ReadIndex, shared by
// concurrent readers) on a follower.
func BenchmarkReadIndex(b *testing.B) {
	for _, clients := range []int{1, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			c, l := benchCluster(b, true)
			ctx := context.Background()
			if _, err := l.Put(ctx, kv.PutRequest{Key: []byte("k"), Value: make([]byte, 256)}); err != nil {
				b.Fatal(err)
			}
			var f *kv.Server
			for _, id := range c.Running() {
				if id != l.Node().ID() {
					f = c.Server(id)
				}
			}
			runClients(b, clients, func(ctx context.Context, _ int) error {
				_, err := f.Get(ctx, []byte("k"))
				return err
			})
		})
	}
}
