// Package bench measures an etcd-v3-compatible cluster the way etcd's
// benchmark tool does: a number of clients sharing a number of gRPC
// connections issue a fixed total of puts or ranges as fast as they
// complete (or at a capped rate, or for a fixed time), and the latencies
// are summarised as percentiles. It speaks
// only the etcd v3 API (clientv3), so it measures a sandbox and a real
// etcd alike.
package bench

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	"github.com/gocli/gocli/consensus/rawconn"
)

// Options configure a run.
type Options struct {
	Endpoints []string
	// Op is "put" or "range".
	Op string
	// Clients is the number of concurrent requesters (default 64).
	Clients int
	// Conns is the number of gRPC connections they share (default 8).
	Conns int
	// Total is the number of requests (default 10000).
	Total int
	// KeySize and ValSize are the put key and value sizes in bytes
	// (defaults 8 and 256).
	KeySize, ValSize int
	// KeySpace is how many distinct keys puts spread over (default 100000).
	KeySpace int
	// Key is the key ranges read (default "foo"; written once first).
	Key string
	// Consistency is "l" (linearizable) or "s" (serializable) for range.
	Consistency string
	// Rate caps requests per second across all clients (0: as fast as
	// they complete), like etcd benchmark's --rate.
	Rate int
	// Duration, when set, stops issuing requests once it has passed, even
	// if Total has not been reached: a time-boxed run (requests in flight
	// then complete and count).
	Duration time.Duration
	// KeyPrefix is prepended to the keys puts write, so a run against a
	// cluster in use stays in its own key space.
	KeyPrefix string
	// Cleanup deletes every key under KeyPrefix when the run ends.
	Cleanup bool
	// Seed makes the keys repeatable.
	Seed uint64
	// Progress, when set, is called with the number of completed requests
	// from time to time.
	Progress func(done int)
}

// Latency is a latency summary in milliseconds.
type Latency struct {
	Mean float64 `json:"mean_ms"`
	P50  float64 `json:"p50_ms"`
	P90  float64 `json:"p90_ms"`
	P99  float64 `json:"p99_ms"`
	Max  float64 `json:"max_ms"`
	Min  float64 `json:"min_ms"`
}

// Result is the outcome of a run.
type Result struct {
	Op          string   `json:"op"`
	Consistency string   `json:"consistency,omitempty"`
	Endpoints   []string `json:"endpoints"`
	Clients     int      `json:"clients"`
	Conns       int      `json:"conns"`
	Total       int      `json:"total"`
	// Requests is how many requests were issued: Total, or fewer when
	// Duration ended the run first.
	Requests int           `json:"requests"`
	ValSize  int           `json:"val_size"`
	Errors   int           `json:"errors"`
	Duration time.Duration `json:"duration_ns"`
	// Throughput is successful requests per second.
	Throughput float64 `json:"requests_per_sec"`
	Latency    Latency `json:"latency"`
	// FirstError is the first error seen, if any.
	FirstError string `json:"first_error,omitempty"`
}

// Validate checks the options after defaults.
func (o *Options) Validate() error {
	switch {
	case len(o.Endpoints) == 0:
		return errors.New("no endpoints")
	case o.Op != "put" && o.Op != "range":
		return fmt.Errorf("operation %q: use put or range", o.Op)
	case o.Consistency != "l" && o.Consistency != "s":
		return fmt.Errorf("consistency %q: use l or s", o.Consistency)
	case o.Clients < 1 || o.Conns < 1 || o.Total < 1:
		return errors.New("clients, conns and total must be positive")
	case o.Rate < 0 || o.Rate > 1_000_000:
		return errors.New("rate must be between 0 (no cap) and 1000000 requests per second")
	case o.Duration < 0:
		return errors.New("duration must not be negative")
	case o.Cleanup && o.KeyPrefix == "":
		return errors.New("cleanup needs a key prefix: it deletes the keys under it")
	case o.KeySize < 1 || o.ValSize < 0:
		return errors.New("key size must be positive and value size not negative")
	}
	return nil
}

func (o *Options) defaults() {
	if o.Clients == 0 {
		o.Clients = 64
	}
	if o.Conns == 0 {
		o.Conns = 8
	}
	if o.Conns > o.Clients {
		o.Conns = o.Clients
	}
	if o.Total == 0 {
		o.Total = 10000
	}
	if o.KeySize == 0 {
		o.KeySize = 8
	}
	if o.ValSize == 0 {
		o.ValSize = 256
	}
	if o.KeySpace == 0 {
		o.KeySpace = 100000
	}
	if o.Key == "" {
		o.Key = "foo"
	}
	if o.Consistency == "" {
		o.Consistency = "l"
	}
}

// Run runs the benchmark.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	if err := o.Validate(); err != nil {
		return nil, err
	}
	conns := make([]*clientv3.Client, o.Conns)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		c, err := clientv3.New(clientv3.Config{
			Endpoints: o.Endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop(),
			// The load generator's own CPU per request shares the
			// machine with what it measures (see consensus/rawconn).
			DialOptions: []grpc.DialOption{grpc.WithContextDialer(dialRaw)},
		})
		if err != nil {
			return nil, fmt.Errorf("connect: %w", err)
		}
		conns[i] = c
		if err := waitReady(ctx, c.ActiveConnection(), 5*time.Second); err != nil {
			return nil, fmt.Errorf("connect to %s: %w", strings.Join(o.Endpoints, ","), err)
		}
	}
	if o.Op == "range" {
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, err := conns[0].Put(pctx, o.Key, string(make([]byte, o.ValSize)))
		cancel()
		if err != nil {
			return nil, fmt.Errorf("write the key to read: %w", err)
		}
	}
	value := string(make([]byte, o.ValSize))
	var next, done, errCount atomic.Int64
	// stop closes when Duration has passed (never without one).
	stop := make(chan struct{})
	if o.Duration > 0 {
		t := time.AfterFunc(o.Duration, func() { close(stop) })
		defer t.Stop()
	}
	var firstErr atomic.Value
	lats := make([][]time.Duration, o.Clients)
	var wg sync.WaitGroup
	start := time.Now()
	progCtx, stopProg := context.WithCancel(ctx)
	progDone := make(chan struct{})
	go func() {
		defer close(progDone)
		if o.Progress == nil {
			return
		}
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-progCtx.Done():
				return
			case <-t.C:
				o.Progress(int(done.Load()))
			}
		}
	}()
	var tokens chan struct{}
	if o.Rate > 0 {
		// The limiter goroutine is owned by progCtx and ends with it.
		tokens = make(chan struct{})
		go func() {
			t := time.NewTicker(time.Second / time.Duration(o.Rate))
			defer t.Stop()
			for {
				select {
				case <-progCtx.Done():
					return
				case <-t.C:
					select {
					case tokens <- struct{}{}:
					case <-progCtx.Done():
						return
					}
				}
			}
		}()
	}
	for ci := 0; ci < o.Clients; ci++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cli := conns[ci%len(conns)]
			rng := rand.New(rand.NewPCG(o.Seed, uint64(ci)))
			key := make([]byte, len(o.KeyPrefix)+o.KeySize)
			copy(key, o.KeyPrefix)
			var ropts []clientv3.OpOption
			if o.Consistency == "s" {
				ropts = append(ropts, clientv3.WithSerializable())
			}
			for next.Add(1) <= int64(o.Total) {
				if tokens != nil {
					select {
					case <-tokens:
					case <-ctx.Done():
						return
					case <-stop:
						return
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				if ctx.Err() != nil {
					return
				}
				t0 := time.Now()
				var err error
				if o.Op == "put" {
					fillKey(key[len(o.KeyPrefix):], rng.IntN(o.KeySpace))
					_, err = cli.Put(ctx, string(key), value)
				} else {
					_, err = cli.Get(ctx, o.Key, ropts...)
				}
				d := time.Since(t0)
				done.Add(1)
				if err != nil {
					errCount.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				lats[ci] = append(lats[ci], d)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProg()
	<-progDone
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []time.Duration
	for _, l := range lats {
		all = append(all, l...)
	}
	res := &Result{Op: o.Op, Endpoints: o.Endpoints, Clients: o.Clients, Conns: o.Conns, Total: o.Total, Requests: int(done.Load()),
		ValSize: o.ValSize, Errors: int(errCount.Load()), Duration: elapsed,
		Throughput: float64(len(all)) / elapsed.Seconds(), Latency: summarize(all)}
	if o.Op == "range" {
		res.Consistency = o.Consistency
		res.ValSize = 0
	}
	if s, ok := firstErr.Load().(string); ok {
		res.FirstError = s
	}
	if len(all) == 0 {
		return res, fmt.Errorf("every request failed: %s", res.FirstError)
	}
	if o.Cleanup {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if _, err := conns[0].Delete(cctx, o.KeyPrefix, clientv3.WithPrefix()); err != nil {
			return res, fmt.Errorf("delete the keys under %q: %w", o.KeyPrefix, err)
		}
	}
	return res, nil
}

// fillKey writes n into key as fixed-width decimal digits (repeating the
// low digits when key is longer than needed).
func fillKey(key []byte, n int) {
	for i := len(key) - 1; i >= 0; i-- {
		key[i] = byte('0' + n%10)
		n /= 10
	}
}

func summarize(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	pct := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.5) - 1
		return ms(ds[min(max(i, 0), len(ds)-1)])
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Latency{Mean: ms(sum / time.Duration(len(ds))), P50: pct(0.50), P90: pct(0.90), P99: pct(0.99),
		Max: ms(ds[len(ds)-1]), Min: ms(ds[0])}
}

// dialRaw connects to a host:port endpoint over TCP with raw socket I/O.
func dialRaw(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	return rawconn.Wrap(c), nil
}

// waitReady connects cc and waits until it can carry requests. A client
// dials on its first request, and the first requests of a run would
// otherwise time the TCP and HTTP/2 handshakes, not the server: 9-31 ms
// for the first six puts against a 10-node sandbox.
func waitReady(ctx context.Context, cc *grpc.ClientConn, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cc.Connect()
	for {
		s := cc.GetState()
		if s == connectivity.Ready {
			return nil
		}
		if !cc.WaitForStateChange(ctx, s) {
			return fmt.Errorf("no endpoint answered within %v (last state %s)", timeout, s)
		}
	}
}
