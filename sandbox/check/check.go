// Package check runs a client workload against a sandbox cluster while a
// seeded nemesis injects faults, records the history, and checks it for
// linearizability with porcupine, writing porcupine's HTML visualisation.
//
// The workload goes through the etcd v3 gRPC API with clientv3, the way
// applications use the cluster: gets (linearizable reads), puts of unique
// values and compare-and-swaps (txn) on a few keys. A write whose outcome
// is unknown (timeout, lost connection) is recorded as open until the end
// of the history, so the checker may place it anywhere after its call, or
// nowhere visible.
package check

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gocli/gocli/sandbox"
)

// Nemesis kinds.
const (
	NemesisPartition = "partition"
	NemesisKill      = "kill"
	NemesisDelay     = "delay"
	NemesisDrop      = "drop"
	NemesisPause     = "pause"
)

// AllNemeses lists every nemesis kind.
var AllNemeses = []string{NemesisPartition, NemesisKill, NemesisDelay, NemesisDrop, NemesisPause}

// ParseNemeses reads a comma-separated nemesis list ("all" or "none" too).
func ParseNemeses(s string) ([]string, error) {
	switch s {
	case "all":
		return slices.Clone(AllNemeses), nil
	case "", "none":
		return nil, nil
	}
	var out []string
	for _, k := range strings.Split(s, ",") {
		k = strings.TrimSpace(k)
		if !slices.Contains(AllNemeses, k) {
			return nil, fmt.Errorf("nemesis %q: use %s, all or none", k, strings.Join(AllNemeses, ", "))
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Options configure a check run.
type Options struct {
	// Cluster is the cluster under test; Run injects faults into it and
	// heals them before returning.
	Cluster *sandbox.Cluster
	// Duration is how long the workload runs.
	Duration time.Duration
	// Seed makes the workload and the nemesis schedule repeatable.
	Seed uint64
	// Nemeses are the fault kinds to inject (none: a fault-free run).
	Nemeses []string
	// Clients is the number of concurrent clients (default 4).
	Clients int
	// Keys is the number of keys (default 3).
	Keys int
	// OpTimeout bounds one operation (default 1s).
	OpTimeout time.Duration
	// CheckTimeout bounds porcupine's search (default 60s).
	CheckTimeout time.Duration
	// Visualization, when set, is where the HTML visualisation goes.
	Visualization string
}

// Result is the outcome of a check run.
type Result struct {
	Seed    uint64   `json:"seed"`
	Nemeses []string `json:"nemeses"`
	// Linearizable is true when porcupine found a linearization.
	Linearizable bool `json:"linearizable"`
	// Verdict is ok, illegal or unknown (the checker timed out).
	Verdict    string        `json:"verdict"`
	Operations int           `json:"operations"`
	Unknown    int           `json:"unknown_outcomes"`
	Failed     int           `json:"failed_reads"`
	Faults     []string      `json:"faults"`
	Duration   time.Duration `json:"duration"`
	// Visualization is the HTML file written, if any.
	Visualization string `json:"visualization,omitempty"`
}

type recorder struct {
	mu    sync.Mutex
	start time.Time
	ops   []porcupine.Operation
}

func (r *recorder) add(op porcupine.Operation) {
	r.mu.Lock()
	r.ops = append(r.ops, op)
	r.mu.Unlock()
}

// Run runs the workload and the nemesis, then checks the history.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Cluster == nil {
		return nil, errors.New("check: no cluster")
	}
	if opts.Clients <= 0 {
		opts.Clients = 4
	}
	if opts.Keys <= 0 {
		opts.Keys = 3
	}
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = time.Second
	}
	if opts.CheckTimeout <= 0 {
		opts.CheckTimeout = 60 * time.Second
	}
	if opts.Duration <= 0 {
		opts.Duration = 10 * time.Second
	}
	c := opts.Cluster
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	_, err := c.WaitLeader(wctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("check: %w", err)
	}
	spec := c.Spec()
	rec := &recorder{start: time.Now()}
	res := &Result{Seed: opts.Seed, Nemeses: opts.Nemeses}
	var unknown, failed sync.Map

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for ci := 0; ci < opts.Clients; ci++ {
		cli, err := clientv3.New(clientv3.Config{Endpoints: spec.Endpoints(), DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
		if err != nil {
			close(stop)
			wg.Wait()
			return nil, fmt.Errorf("check: client: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer cli.Close()
			_, u, f := runClient(ctx, cli, ci, opts, rec, stop)
			unknown.Store(ci, u)
			failed.Store(ci, f)
		}()
	}
	faults, nerr := runNemesis(ctx, c, opts)
	close(stop)
	wg.Wait()
	res.Faults = faults
	res.Duration = time.Since(rec.start).Round(time.Millisecond)
	if nerr != nil {
		return res, fmt.Errorf("check: nemesis: %w", nerr)
	}
	unknown.Range(func(_, v any) bool { res.Unknown += v.(int); return true })
	failed.Range(func(_, v any) bool { res.Failed += v.(int); return true })
	res.Operations = len(rec.ops)
	if res.Operations == 0 && ctx.Err() == nil {
		return res, errors.New("check: no operation completed: the cluster made no progress")
	}
	verdict, info := porcupine.CheckOperationsVerbose(Model, rec.ops, opts.CheckTimeout)
	res.Verdict = string(verdict)
	res.Linearizable = verdict == porcupine.Ok
	if opts.Visualization != "" {
		if err := porcupine.VisualizePath(Model, info, opts.Visualization); err != nil {
			return res, fmt.Errorf("check: write visualization: %w", err)
		}
		res.Visualization = opts.Visualization
	}
	return res, nil
}

// runClient issues operations until stop closes; it returns how many it
// recorded, how many had unknown outcomes, and how many reads failed.
func runClient(ctx context.Context, cli *clientv3.Client, ci int, opts Options, rec *recorder, stop <-chan struct{}) (n, unknown, failed int) {
	rng := rand.New(rand.NewPCG(opts.Seed, uint64(ci)+1))
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		default:
		}
		in := Input{Key: fmt.Sprintf("check/k%d", rng.IntN(opts.Keys))}
		switch r := rng.IntN(10); {
		case r < 4:
			in.Op = "get"
		case r < 7:
			in.Op, in.Value = "put", fmt.Sprintf("%d.%d", ci, i)
		default:
			in.Op, in.Value = "cas", fmt.Sprintf("%d.%d", ci, i)
			in.Old = fmt.Sprintf("%d.%d", rng.IntN(opts.Clients), max(0, i-rng.IntN(4)))
			if rng.IntN(4) == 0 {
				in.Old = ""
			}
		}
		call := time.Since(rec.start).Nanoseconds()
		out, keep := do(ctx, cli, in, opts.OpTimeout)
		ret := time.Since(rec.start).Nanoseconds()
		if !keep {
			failed++
			continue
		}
		if out.Unknown {
			unknown++
			ret = math.MaxInt64
		}
		rec.add(porcupine.Operation{ClientId: ci, Input: in, Output: out, Call: call, Return: ret})
		n++
		if out.Unknown {
			// A client whose write is in doubt is "hung" for the checker:
			// go on as a new client so later operations stay ordered.
			ci += opts.Clients
		}
	}
}

// do runs one operation. keep is false for a failed read, which had no
// effect and returned nothing.
func do(ctx context.Context, cli *clientv3.Client, in Input, timeout time.Duration) (Output, bool) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch in.Op {
	case "get":
		r, err := cli.Get(ctx, in.Key)
		if err != nil {
			return Output{}, false
		}
		if len(r.Kvs) == 0 {
			return Output{}, true
		}
		return Output{Value: string(r.Kvs[0].Value)}, true
	case "put":
		if _, err := cli.Put(ctx, in.Key, in.Value); err != nil {
			return Output{Unknown: true}, true
		}
		return Output{}, true
	default:
		cmp := clientv3.Compare(clientv3.Value(in.Key), "=", in.Old)
		if in.Old == "" {
			cmp = clientv3.Compare(clientv3.Version(in.Key), "=", 0)
		}
		r, err := cli.Txn(ctx).If(cmp).Then(clientv3.OpPut(in.Key, in.Value)).Commit()
		if err != nil {
			return Output{Unknown: true}, true
		}
		return Output{OK: r.Succeeded}, true
	}
}
