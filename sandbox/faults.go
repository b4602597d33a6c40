package sandbox

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Delay is a per-node network delay: every message to or from the node
// waits Latency plus a uniform random share of Jitter.
type Delay struct {
	Latency time.Duration `json:"latency"`
	Jitter  time.Duration `json:"jitter,omitempty"`
}

// FaultSpec is the full set of network faults in force. It is a value:
// the cluster computes the new spec and installs it on every node's
// filter, so in-process and child-process nodes see the same faults.
type FaultSpec struct {
	// Partition lists groups of nodes that cannot reach each other.
	// Nodes not listed reach everyone.
	Partition [][]uint64 `json:"partition,omitempty"`
	// Delay holds per-node delays.
	Delay map[uint64]Delay `json:"delay,omitempty"`
	// Drop holds per-node drop rates in [0, 1].
	Drop map[uint64]float64 `json:"drop,omitempty"`
	// Isolated nodes reach no one (a paused node is isolated).
	Isolated []uint64 `json:"isolated,omitempty"`
}

// Empty reports whether no fault is in force.
func (s FaultSpec) Empty() bool {
	return len(s.Partition) == 0 && len(s.Delay) == 0 && len(s.Drop) == 0 && len(s.Isolated) == 0
}

func (s FaultSpec) clone() FaultSpec {
	c := FaultSpec{Isolated: slices.Clone(s.Isolated)}
	for _, g := range s.Partition {
		c.Partition = append(c.Partition, slices.Clone(g))
	}
	if len(s.Delay) > 0 {
		c.Delay = map[uint64]Delay{}
		for k, v := range s.Delay {
			c.Delay[k] = v
		}
	}
	if len(s.Drop) > 0 {
		c.Drop = map[uint64]float64{}
		for k, v := range s.Drop {
			c.Drop[k] = v
		}
	}
	return c
}

// ParsePartition parses a partition spec such as "1,2 3" (groups
// separated by spaces, or passed as separate arguments; IDs by commas).
func ParsePartition(args ...string) ([][]uint64, error) {
	var groups [][]uint64
	seen := map[uint64]bool{}
	for _, a := range args {
		for _, g := range strings.Fields(a) {
			var group []uint64
			for _, f := range strings.Split(g, ",") {
				id, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
				if err != nil || id == 0 {
					return nil, fmt.Errorf("partition group %q: %q is not a node ID (groups look like \"1,2 3\")", g, f)
				}
				if seen[id] {
					return nil, fmt.Errorf("partition: node %d is listed twice", id)
				}
				seen[id] = true
				group = append(group, id)
			}
			groups = append(groups, group)
		}
	}
	if len(groups) < 2 {
		return nil, fmt.Errorf("partition needs at least two groups, such as \"1,2 3\"")
	}
	return groups, nil
}

// Filter is the sandbox's consensus.Filter: it applies a FaultSpec to
// each outbound raft message, drawing randomness from a seed so that a
// run can be replayed.
type Filter struct {
	mu    sync.Mutex
	rng   *rand.Rand
	spec  FaultSpec
	group map[uint64]int
	iso   map[uint64]bool
}

// NewFilter returns a Filter with no faults.
func NewFilter(seed uint64) *Filter {
	return &Filter{rng: rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d)), group: map[uint64]int{}, iso: map[uint64]bool{}}
}

// Set installs spec, replacing the faults in force.
func (f *Filter) Set(spec FaultSpec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spec = spec.clone()
	f.group = map[uint64]int{}
	for i, g := range spec.Partition {
		for _, id := range g {
			f.group[id] = i
		}
	}
	f.iso = map[uint64]bool{}
	for _, id := range spec.Isolated {
		f.iso[id] = true
	}
}

// Spec returns the faults in force.
func (f *Filter) Spec() FaultSpec {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.spec.clone()
}

// Outbound implements consensus.Filter.
func (f *Filter) Outbound(from, to uint64, _ *raftpb.Message) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.iso[from] || f.iso[to] {
		return true, 0
	}
	gf, okf := f.group[from]
	gt, okt := f.group[to]
	if okf && okt && gf != gt {
		return true, 0
	}
	if p := max(f.spec.Drop[from], f.spec.Drop[to]); p > 0 && f.rng.Float64() < p {
		return true, 0
	}
	var d time.Duration
	for _, id := range [2]uint64{from, to} {
		if dl, ok := f.spec.Delay[id]; ok {
			d += dl.Latency
			if dl.Jitter > 0 {
				d += time.Duration(f.rng.Int64N(int64(dl.Jitter)))
			}
		}
	}
	return false, d
}
