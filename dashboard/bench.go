package dashboard

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
)

// Short benchmark settings (the b key).
const (
	// BenchDuration is how long the b key writes.
	BenchDuration = 2 * time.Second
	// BenchClients is how many writers run at once.
	BenchClients = 8
	// BenchPrefix holds the keys the benchmark writes; they are deleted
	// when it ends.
	BenchPrefix = "/gocli/dashboard-bench/"
)

// BenchResult is what the short benchmark measured.
type BenchResult struct {
	Writes   int           `json:"writes"`
	Errors   int           `json:"errors"`
	Duration time.Duration `json:"duration"`
	P50      time.Duration `json:"p50"`
	P99      time.Duration `json:"p99"`
}

// Rate is writes per second.
func (r BenchResult) Rate() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Writes) / r.Duration.Seconds()
}

// String is the one-line summary the dashboard shows.
func (r BenchResult) String() string {
	s := fmt.Sprintf("%d writes in %v (%s/s), p50 %v, p99 %v", r.Writes, r.Duration.Round(time.Millisecond),
		human(r.Rate()), r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
	if r.Errors > 0 {
		s += fmt.Sprintf(", %d errors", r.Errors)
	}
	return s
}

// Bench writes small values from BenchClients writers for BenchDuration
// through the etcd v3 API, then deletes what it wrote.
func Bench(ctx context.Context, endpoints []string) (BenchResult, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return BenchResult{}, fmt.Errorf("connect to %s: %w", strings.Join(endpoints, ","), err)
	}
	defer cli.Close()
	runCtx, cancel := context.WithTimeout(ctx, BenchDuration)
	defer cancel()
	value := strings.Repeat("x", 64)
	lat := make([][]time.Duration, BenchClients)
	errs := make([]int, BenchClients)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range BenchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; runCtx.Err() == nil; i++ {
				t0 := time.Now()
				_, err := cli.Put(runCtx, fmt.Sprintf("%s%d/%d", BenchPrefix, w, i%100), value)
				if err != nil {
					if runCtx.Err() == nil {
						errs[w]++
					}
					continue
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	res := BenchResult{Duration: time.Since(start)}
	all := slices.Concat(lat...)
	for _, e := range errs {
		res.Errors += e
	}
	res.Writes = len(all)
	if len(all) == 0 {
		return res, errors.New("no write succeeded")
	}
	slices.Sort(all)
	res.P50 = all[len(all)/2]
	res.P99 = all[min(len(all)*99/100, len(all)-1)]
	dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
	defer dcancel()
	_, _ = cli.Delete(dctx, BenchPrefix, clientv3.WithPrefix()) // best effort: the keys are harmless
	return res, nil
}
