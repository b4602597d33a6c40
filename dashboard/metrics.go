package dashboard

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Histogram is a cumulative latency histogram: Buckets[i] counts
// observations at or below Bounds[i] seconds (Prometheus "le" buckets,
// +Inf last).
type Histogram struct {
	Bounds  []float64
	Buckets []uint64
	Count   uint64
}

// LatencySample is a histogram read at a point in time.
type LatencySample struct {
	At   time.Time
	Hist Histogram
}

// Sub returns h minus an earlier reading prev. ok is false when the two
// do not line up (different buckets) or a counter went backwards (a node
// restarted).
func (h Histogram) Sub(prev Histogram) (Histogram, bool) {
	if !slices.Equal(h.Bounds, prev.Bounds) || h.Count < prev.Count {
		return Histogram{}, false
	}
	d := Histogram{Bounds: h.Bounds, Buckets: make([]uint64, len(h.Buckets)), Count: h.Count - prev.Count}
	for i := range h.Buckets {
		if h.Buckets[i] < prev.Buckets[i] {
			return Histogram{}, false
		}
		d.Buckets[i] = h.Buckets[i] - prev.Buckets[i]
	}
	return d, true
}

// Quantile estimates quantile q by linear interpolation inside the bucket
// that holds it, as Prometheus' histogram_quantile does.
func (h Histogram) Quantile(q float64) time.Duration {
	if h.Count == 0 || len(h.Buckets) == 0 {
		return 0
	}
	rank := q * float64(h.Count)
	lower, below := 0.0, uint64(0)
	for i, cum := range h.Buckets {
		if float64(cum) >= rank {
			upper := h.Bounds[i]
			if math.IsInf(upper, 1) {
				upper = lower // the top bucket has no upper edge: report its floor
				return time.Duration(upper * float64(time.Second))
			}
			in := cum - below
			frac := 1.0
			if in > 0 {
				frac = (rank - float64(below)) / float64(in)
			}
			return time.Duration((lower + (upper-lower)*frac) * float64(time.Second))
		}
		lower, below = h.Bounds[i], cum
	}
	return time.Duration(lower * float64(time.Second))
}

// CommitMetric is the Prometheus histogram the latency sparkline reads
// from each sandbox node's /metrics.
const CommitMetric = "consensus_proposal_commit_seconds"

// ScrapeCommitLatency reads CommitMetric from every node's HTTP address
// and sums the histograms. Nodes that do not answer are skipped; an error
// is returned only when none does.
func ScrapeCommitLatency(ctx context.Context, httpAddrs []string) (Histogram, error) {
	type result struct {
		h   Histogram
		err error
	}
	res := make([]result, len(httpAddrs))
	var wg sync.WaitGroup
	for i, addr := range httpAddrs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[i].h, res[i].err = scrapeOne(ctx, addr)
		}()
	}
	wg.Wait()
	var sum Histogram
	var errs []error
	ok := false
	for _, r := range res {
		if r.err != nil {
			errs = append(errs, r.err)
			continue
		}
		if !ok {
			sum, ok = r.h, true
			continue
		}
		if !slices.Equal(sum.Bounds, r.h.Bounds) {
			continue
		}
		sum.Count += r.h.Count
		for i := range sum.Buckets {
			sum.Buckets[i] += r.h.Buckets[i]
		}
	}
	if !ok {
		return Histogram{}, fmt.Errorf("scrape commit latency: %w", errors.Join(errs...))
	}
	return sum, nil
}

func scrapeOne(ctx context.Context, addr string) (Histogram, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return Histogram{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Histogram{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Histogram{}, fmt.Errorf("%s/metrics: %s", addr, resp.Status)
	}
	return parseHistogram(resp.Body, CommitMetric)
}

// parseHistogram reads one histogram (summed over label sets) from the
// Prometheus text format.
func parseHistogram(r io.Reader, name string) (Histogram, error) {
	byBound := map[float64]uint64{}
	var count uint64
	found := false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		sp := strings.LastIndexByte(rest, ' ')
		if sp < 0 {
			continue
		}
		v, err := strconv.ParseFloat(rest[sp+1:], 64)
		if err != nil {
			continue
		}
		switch {
		case strings.HasPrefix(rest, "_bucket{"):
			i := strings.Index(rest, `le="`)
			if i < 0 {
				continue
			}
			le := rest[i+4:]
			le = le[:strings.IndexByte(le, '"')]
			b, err := strconv.ParseFloat(le, 64)
			if err != nil {
				continue
			}
			byBound[b] += uint64(v)
			found = true
		case strings.HasPrefix(rest, "_count"):
			count += uint64(v)
		}
	}
	if err := sc.Err(); err != nil {
		return Histogram{}, err
	}
	if !found {
		return Histogram{}, fmt.Errorf("no %s histogram", name)
	}
	h := Histogram{Count: count}
	for b := range byBound {
		h.Bounds = append(h.Bounds, b)
	}
	slices.Sort(h.Bounds)
	for _, b := range h.Bounds {
		h.Buckets = append(h.Buckets, byBound[b])
	}
	return h, nil
}
