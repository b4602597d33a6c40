package kv_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

// Operations of the linearizability workload: get, put and
// compare-and-swap on a few keys.
type linInput struct {
	Op    string // "get", "put", "cas"
	Key   string
	Value string // put value, or cas new value
	Old   string // cas expected value ("" = absent)
}

type linOutput struct {
	Value   string // get result ("" = absent)
	OK      bool   // cas succeeded
	Unknown bool   // outcome unknown: any result is acceptable
}

var kvModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		for _, op := range h {
			k := op.Input.(linInput).Key
			by[k] = append(by[k], op)
		}
		var out [][]porcupine.Operation
		for _, ops := range by {
			out = append(out, ops)
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(string), input.(linInput), output.(linOutput)
		switch in.Op {
		case "get":
			return out.Unknown || out.Value == st, st
		case "put":
			return true, in.Value
		default: // cas
			if st == in.Old {
				return out.Unknown || out.OK, in.Value
			}
			return out.Unknown || !out.OK, st
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		res := ""
		switch {
		case out.Unknown:
			res = "?"
		case in.Op == "get":
			res = strconv.Quote(out.Value)
		case in.Op == "cas":
			res = strconv.FormatBool(out.OK)
		default:
			res = "ok"
		}
		switch in.Op {
		case "get":
			return fmt.Sprintf("get(%s) -> %s", in.Key, res)
		case "put":
			return fmt.Sprintf("put(%s, %s) -> %s", in.Key, in.Value, res)
		}
		return fmt.Sprintf("cas(%s, %q→%s) -> %s", in.Key, in.Old, in.Value, res)
	},
	DescribeState: func(state any) string { return strconv.Quote(state.(string)) },
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// TestLinearizability runs seeded schedules of clients against a 3-node
// cluster on loopback TCP while a nemesis partitions, delays, drops,
// kills and restarts nodes and transfers leadership, then checks each
// history with porcupine.
// GOCLI_LIN_SCHEDULES sets the number of schedules (default 20),
// GOCLI_LIN_SEED sets the first seed (then one schedule unless
// GOCLI_LIN_SCHEDULES is set too), GOCLI_LIN_DURATION the workload length
// (default 1500ms), GOCLI_LIN_NODES the cluster size (default 3).
func TestLinearizability(t *testing.T) {
	n := envInt("GOCLI_LIN_SCHEDULES", 20)
	first := uint64(1)
	if s := envInt("GOCLI_LIN_SEED", 0); s > 0 {
		first, n = uint64(s), envInt("GOCLI_LIN_SCHEDULES", 1)
	}
	dur := 1500 * time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("GOCLI_LIN_DURATION")); err == nil {
		dur = d
	}
	nodes := envInt("GOCLI_LIN_NODES", 3)
	for seed := first; seed < first+uint64(n); seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runSchedule(t, seed, nodes, dur)
		})
	}
}

func runSchedule(t *testing.T, seed uint64, nodes int, dur time.Duration) {
	c := consensustest.NewCluster(t, nodes, consensustest.Options{
		Seed: seed,
		Configure: func(cfg *consensus.Config) {
			// Small snapshots so compaction and snapshot catch-up happen
			// inside a short schedule.
			cfg.SnapshotEntries = 200
			cfg.CatchUpEntries = 50
		},
	})
	ctx, cancel := context.WithTimeout(context.Background(), dur+60*time.Second)
	defer cancel()
	if _, err := c.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	var mu sync.Mutex
	var history []porcupine.Operation
	record := func(op porcupine.Operation) {
		mu.Lock()
		history = append(history, op)
		mu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	const clients = 4
	keys := []string{"k0", "k1", "k2"}
	for ci := 0; ci < clients; ci++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(ci)))
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ids := c.Running()
				if len(ids) == 0 {
					continue
				}
				s := c.Server(ids[rng.IntN(len(ids))])
				if s == nil {
					continue
				}
				in := linInput{Key: keys[rng.IntN(len(keys))]}
				switch r := rng.IntN(10); {
				case r < 4:
					in.Op = "get"
				case r < 7:
					in.Op, in.Value = "put", fmt.Sprintf("%d.%d", ci, i)
				default:
					in.Op, in.Value = "cas", fmt.Sprintf("%d.%d", ci, i)
					in.Old = fmt.Sprintf("%d.%d", rng.IntN(clients), max(0, i-rng.IntN(4)))
					if rng.IntN(4) == 0 {
						in.Old = ""
					}
				}
				call := time.Since(start).Nanoseconds()
				out, keep := doOp(s, in)
				ret := time.Since(start).Nanoseconds()
				if !keep {
					continue
				}
				if out.Unknown {
					ret = math.MaxInt64
				}
				record(porcupine.Operation{ClientId: ci, Input: in, Output: out, Call: call, Return: ret})
			}
		}()
	}
	nemesis(t, c, seed, nodes, dur)
	close(stop)
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(kvModel, history, 30*time.Second)
	if res != porcupine.Ok {
		dir := os.Getenv("GOCLI_ARTIFACTS")
		if dir == "" {
			dir = os.TempDir()
		}
		path := filepath.Join(dir, fmt.Sprintf("gocli-linearizability-seed%d.html", seed))
		if err := porcupine.VisualizePath(kvModel, info, path); err != nil {
			t.Logf("write visualization: %v", err)
		}
		t.Fatalf("seed %d: history of %d operations is %s; visualization: %s (rerun with GOCLI_LIN_SEED=%d)",
			seed, len(history), res, path, seed)
	}
	t.Logf("seed %d: %d operations linearizable", seed, len(history))
}

// doOp runs one operation. keep is false when the operation certainly had
// no effect and returned nothing (it is then left out of the history).
func doOp(s *kv.Server, in linInput) (linOutput, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	key := []byte(in.Key)
	unknown := func(err error) (linOutput, bool) {
		if errors.Is(err, consensus.ErrProposalDropped) || errors.Is(err, consensus.ErrNotProposed) {
			return linOutput{}, false // never entered the log
		}
		return linOutput{Unknown: true}, true
	}
	switch in.Op {
	case "get":
		kvv, err := s.Get(ctx, key)
		if err != nil {
			return linOutput{}, false
		}
		if kvv == nil {
			return linOutput{}, true
		}
		return linOutput{Value: string(kvv.Value)}, true
	case "put":
		if _, err := s.Put(ctx, kv.PutRequest{Key: key, Value: []byte(in.Value)}); err != nil {
			return unknown(err)
		}
		return linOutput{}, true
	default:
		cmp := kv.Compare{Key: key, Target: kv.CompareValue, Result: kv.CompareEqual, Value: []byte(in.Old)}
		if in.Old == "" {
			cmp = kv.Compare{Key: key, Target: kv.CompareVersion, Result: kv.CompareEqual, Version: 0}
		}
		tr, err := s.Txn(ctx, kv.TxnRequest{Compare: []kv.Compare{cmp},
			Success: []kv.Op{{Put: &kv.PutRequest{Key: key, Value: []byte(in.Value)}}}})
		if err != nil {
			return unknown(err)
		}
		return linOutput{OK: tr.Succeeded}, true
	}
}

// nemesis injects seeded faults for dur, then heals and restarts every
// node so the clients' last operations can finish.
func nemesis(t *testing.T, c *consensustest.Cluster, seed uint64, nodes int, dur time.Duration) {
	rng := rand.New(rand.NewPCG(seed, 0xfa17))
	var all []uint64
	for id := 1; id <= nodes; id++ {
		all = append(all, uint64(id))
	}
	var killed []uint64
	deadline := time.Now().Add(dur)
	for time.Now().Before(deadline) {
		switch rng.IntN(8) {
		case 0: // isolate the leader or a random node
			victim := all[rng.IntN(len(all))]
			if l := c.Leader(); l != nil && rng.IntN(2) == 0 {
				victim = l.Node().ID()
			}
			c.Partition([]uint64{victim}, without(all, victim))
		case 1:
			c.Heal()
		case 2:
			c.Faults.SetDelay(0, 0, time.Duration(rng.IntN(10))*time.Millisecond, 15*time.Millisecond)
		case 3:
			c.Faults.SetDropRate(0.05 + rng.Float64()*0.15)
		case 4: // kill a node, keeping a majority up
			if len(killed) < (nodes-1)/2 {
				victim := without(all, killed...)[rng.IntN(nodes-len(killed))]
				if err := c.Kill(victim); err != nil {
					t.Logf("kill %d: %v", victim, err)
				} else {
					killed = append(killed, victim)
				}
			}
		case 6: // hand leadership to a random node
			if l := c.Leader(); l != nil {
				to := all[rng.IntN(len(all))]
				tctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				_ = l.Node().TransferLeadership(tctx, to) // may fail under faults
				cancel()
			}
		default: // restart the killed
			for _, id := range killed {
				if err := c.Restart(id); err != nil {
					t.Fatalf("restart %d: %v", id, err)
				}
			}
			killed = nil
		}
		// Faults change at random intervals; this is the schedule's pace,
		// not a wait for a condition.
		time.Sleep(time.Duration(100+rng.IntN(200)) * time.Millisecond)
	}
	c.Heal()
	for _, id := range killed {
		if err := c.Restart(id); err != nil {
			t.Fatalf("restart %d: %v", id, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := c.WaitLeader(ctx); err != nil {
		t.Fatalf("no leader after healing: %v", err)
	}
}

func without(ids []uint64, xs ...uint64) []uint64 {
	var out []uint64
	for _, id := range ids {
		if !slices.Contains(xs, id) {
			out = append(out, id)
		}
	}
	return out
}
