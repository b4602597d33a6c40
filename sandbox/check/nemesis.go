package check

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/gocli/gocli/sandbox"
)

// runNemesis injects one fault at a time from opts.Nemeses, on a schedule
// drawn from opts.Seed, until opts.Duration has passed; every fault is
// healed before it returns. It returns the faults it injected, in order.
func runNemesis(ctx context.Context, c *sandbox.Cluster, opts Options) ([]string, error) {
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6e656d65736973))
	end := time.Now().Add(opts.Duration)
	var log []string
	spec := c.Spec()
	var ids []uint64
	for _, n := range spec.Nodes {
		ids = append(ids, n.ID)
	}
	tick := spec.Tick
	wait := func(d time.Duration) bool {
		if rem := time.Until(end); d > rem {
			d = max(rem, 0)
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
			return true
		}
	}
	// Faults last a few election timeouts, with quiet spells between, so
	// the cluster both fails over and recovers within a short run.
	span := func() time.Duration { return time.Duration(10+rng.IntN(30)) * tick }
	for time.Now().Before(end) && ctx.Err() == nil {
		if !wait(span() / 2) {
			break
		}
		if len(opts.Nemeses) == 0 || !time.Now().Before(end) {
			continue
		}
		kind := opts.Nemeses[rng.IntN(len(opts.Nemeses))]
		victim := ids[rng.IntN(len(ids))]
		var heal func() error
		var desc string
		var err error
		switch kind {
		case NemesisPartition:
			// Either cut one node off or split a minority from the majority.
			perm := rng.Perm(len(ids))
			cut := 1 + rng.IntN(max(1, (len(ids)-1)/2))
			var a, b []uint64
			for i, p := range perm {
				if i < cut {
					a = append(a, ids[p])
				} else {
					b = append(b, ids[p])
				}
			}
			desc = fmt.Sprintf("partition %v | %v", a, b)
			err = c.Partition([][]uint64{a, b})
			heal = c.Heal
		case NemesisKill:
			desc = fmt.Sprintf("kill %d", victim)
			err = c.Kill(victim)
			heal = func() error { return c.Restart(victim) }
		case NemesisDelay:
			d := sandbox.Delay{Latency: time.Duration(1+rng.IntN(4)) * tick / 2, Jitter: tick / 2}
			desc = fmt.Sprintf("delay %d %v±%v", victim, d.Latency, d.Jitter)
			err = c.Delay(victim, d)
			heal = c.Heal
		case NemesisDrop:
			rate := 0.1 + rng.Float64()*0.4
			desc = fmt.Sprintf("drop %d %.0f%%", victim, rate*100)
			err = c.Drop(victim, rate)
			heal = c.Heal
		case NemesisPause:
			desc = fmt.Sprintf("pause %d", victim)
			err = c.Pause(victim)
			heal = func() error { return c.Resume(victim) }
		}
		if err != nil {
			return log, fmt.Errorf("%s: %w", desc, err)
		}
		log = append(log, desc)
		wait(span())
		if err := heal(); err != nil && !errors.Is(err, sandbox.ErrNodeState) {
			return log, fmt.Errorf("heal %s: %w", desc, err)
		}
	}
	return log, nil
}
