package dashboard

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gocli/gocli/sandbox/bench"
)

// Short benchmark settings (the b key): sandbox/bench's put workload,
// the one `gocli sandbox bench put` runs, kept short.
const (
	// BenchDuration caps how long the b key writes.
	BenchDuration = 2 * time.Second
	// BenchTotal caps how many puts it issues.
	BenchTotal = 500
	// BenchClients is how many writers run at once.
	BenchClients = 8
	// BenchPrefix holds the keys the benchmark writes; they are deleted
	// when it ends.
	BenchPrefix = "/gocli/dashboard-bench/"
)

// Bench runs the b key's benchmark against endpoints: at most BenchTotal
// puts of 256-byte values from BenchClients clients for at most
// BenchDuration, under BenchPrefix, deleted afterwards.
func Bench(ctx context.Context, endpoints []string) (*bench.Result, error) {
	return bench.Run(ctx, bench.Options{Endpoints: endpoints, Op: "put", Clients: BenchClients, Conns: 2,
		Total: BenchTotal, Duration: BenchDuration, ValSize: 256, KeySpace: 1000, KeyPrefix: BenchPrefix, Cleanup: true})
}

// benchSummary is the one line the dashboard shows for a result.
func benchSummary(r *bench.Result) string {
	s := fmt.Sprintf("%d puts in %v (%s/s), p50 %s, p99 %s", r.Requests-r.Errors, r.Duration.Round(time.Millisecond),
		human(r.Throughput), ms(r.Latency.P50), ms(r.Latency.P99))
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Errors)
	}
	return s
}

// ms prints a latency in milliseconds, to two decimals at most.
func ms(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64) + "ms"
}
