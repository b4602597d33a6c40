package consensus

import (
	"math/rand/v2"
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

// Filter decides the fate of each outbound raft message in the transport's
// real network path: drop it, or deliver it after a delay. Implementations
// must be safe for concurrent use; they are called from one goroutine per
// peer.
type Filter interface {
	Outbound(from, to uint64, m *raftpb.Message) (drop bool, delay time.Duration)
}

// Faults is a seeded, reversible Filter: partitions, per-link delay with
// jitter, and random drops. One Faults may be shared by every node of an
// in-process cluster (it looks only at from and to), or each node may have
// its own. The zero value is not usable; call NewFaults.
type Faults struct {
	mu       sync.Mutex
	rng      *rand.Rand
	group    map[uint64]int // partition side of each listed node
	isolated map[uint64]bool
	delay    map[link]delaySpec
	anyDelay delaySpec
	dropRate float64
	dropLink map[link]bool
}

type link struct{ from, to uint64 }

type delaySpec struct{ base, jitter time.Duration }

// NewFaults returns a Faults with no faults, drawing randomness from seed.
func NewFaults(seed uint64) *Faults {
	f := &Faults{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	f.Heal()
	return f
}

// Partition splits the listed nodes into groups that cannot reach each
// other. Nodes not listed keep reaching everyone.
func (f *Faults) Partition(groups ...[]uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.group = map[uint64]int{}
	for i, g := range groups {
		for _, id := range g {
			f.group[id] = i
		}
	}
}

// Isolate cuts id off from every other node in both directions.
func (f *Faults) Isolate(id uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.isolated[id] = true
}

// Cut drops every message from one node to another (one direction).
func (f *Faults) Cut(from, to uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropLink[link{from, to}] = true
}

// SetDelay delays messages from one node to another by base plus a uniform
// random jitter in [0, jitter). from or to 0 means any node.
func (f *Faults) SetDelay(from, to uint64, base, jitter time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if from == 0 && to == 0 {
		f.anyDelay = delaySpec{base, jitter}
		return
	}
	f.delay[link{from, to}] = delaySpec{base, jitter}
}

// SetDropRate drops each message with probability p (0 ≤ p ≤ 1).
func (f *Faults) SetDropRate(p float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dropRate = p
}

// Heal removes every fault.
func (f *Faults) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.group = map[uint64]int{}
	f.isolated = map[uint64]bool{}
	f.delay = map[link]delaySpec{}
	f.dropLink = map[link]bool{}
	f.anyDelay = delaySpec{}
	f.dropRate = 0
}

// Outbound implements Filter.
func (f *Faults) Outbound(from, to uint64, _ *raftpb.Message) (bool, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.isolated[from] || f.isolated[to] || f.dropLink[link{from, to}] {
		return true, 0
	}
	gf, okf := f.group[from]
	gt, okt := f.group[to]
	if okf && okt && gf != gt {
		return true, 0
	}
	if f.dropRate > 0 && f.rng.Float64() < f.dropRate {
		return true, 0
	}
	d, ok := f.delay[link{from, to}]
	if !ok {
		if d, ok = f.delay[link{from, 0}]; !ok {
			if d, ok = f.delay[link{0, to}]; !ok {
				d = f.anyDelay
			}
		}
	}
	delay := d.base
	if d.jitter > 0 {
		delay += time.Duration(f.rng.Int64N(int64(d.jitter)))
	}
	return false, delay
}
