package consensus

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// InmemNetwork connects in-memory transports: a fast, deterministic
// stand-in for TCP in unit tests. Messages are cloned on send, as
// serialisation would, and pass through the same Filter as on TCP.
type InmemNetwork struct {
	mu    sync.Mutex
	nodes map[uint64]*InmemTransport
}

// NewInmemNetwork returns an empty network.
func NewInmemNetwork() *InmemNetwork {
	return &InmemNetwork{nodes: map[uint64]*InmemTransport{}}
}

// Transport returns a Config.NewTransport function that attaches node id
// to the network. Peers are reachable by ID; addresses are "inmem:<id>".
func (nw *InmemNetwork) Transport(id uint64) func(Handler) (Transport, error) {
	return func(h Handler) (Transport, error) {
		nw.mu.Lock()
		defer nw.mu.Unlock()
		if _, ok := nw.nodes[id]; ok {
			return nil, fmt.Errorf("in-memory transport for node %x already exists", id)
		}
		t := &InmemTransport{nw: nw, id: id, h: h, in: make(chan *raftpb.Message, 4096), done: make(chan struct{})}
		nw.nodes[id] = t
		t.wg.Add(1)
		go t.deliver()
		return t, nil
	}
}

// InmemTransport is one node's attachment to an InmemNetwork.
type InmemTransport struct {
	nw     *InmemNetwork
	id     uint64
	h      Handler
	filter atomic.Pointer[filterBox]
	in     chan *raftpb.Message
	done   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

// Addr implements Transport.
func (t *InmemTransport) Addr() string { return fmt.Sprintf("inmem:%x", t.id) }

// AddPeer implements Transport; peers are found by ID.
func (t *InmemTransport) AddPeer(uint64, string) {}

// RemovePeer implements Transport.
func (t *InmemTransport) RemovePeer(uint64) {}

// SetFilter implements Transport.
func (t *InmemTransport) SetFilter(f Filter) {
	if f == nil {
		t.filter.Store(nil)
		return
	}
	t.filter.Store(&filterBox{f})
}

// Send implements Transport.
func (t *InmemTransport) Send(msgs []*raftpb.Message) {
	for _, m := range msgs {
		m = proto.Clone(m).(*raftpb.Message)
		if fb := t.filter.Load(); fb != nil {
			drop, delay := fb.f.Outbound(t.id, m.GetTo(), m)
			if drop {
				t.fail(m)
				continue
			}
			if delay > 0 {
				// The timer's function runs once and never blocks.
				time.AfterFunc(delay, func() { t.push(m) })
				continue
			}
		}
		t.push(m)
	}
}

func (t *InmemTransport) push(m *raftpb.Message) {
	select {
	case <-t.done:
		return
	default:
	}
	t.nw.mu.Lock()
	dst := t.nw.nodes[m.GetTo()]
	t.nw.mu.Unlock()
	if dst == nil {
		t.fail(m)
		return
	}
	select {
	case dst.in <- m:
		if m.GetType() == raftpb.MsgSnap {
			t.reportSnapshot(m.GetTo(), true)
		}
	default:
		t.fail(m)
	}
}

func (t *InmemTransport) fail(m *raftpb.Message) {
	switch m.GetType() {
	case raftpb.MsgSnap:
		t.reportSnapshot(m.GetTo(), false)
	case raftpb.MsgProp:
		t.h.ReportDropped(m)
	}
	t.h.ReportUnreachable(m.GetTo())
}

// reportSnapshot reports from its own goroutine: Send runs on the node's
// loop, and a snapshot report may wait for that loop. The handler returns
// once the loop takes the report or the node shuts down.
func (t *InmemTransport) reportSnapshot(to uint64, ok bool) {
	go t.h.ReportSnapshot(to, ok)
}

func (t *InmemTransport) deliver() {
	defer t.wg.Done()
	for {
		select {
		case <-t.done:
			return
		case m := <-t.in:
			t.h.Process(m)
		}
	}
}

// Close implements Transport: the node leaves the network.
func (t *InmemTransport) Close() error {
	t.once.Do(func() {
		t.nw.mu.Lock()
		if t.nw.nodes[t.id] == t {
			delete(t.nw.nodes, t.id)
		}
		t.nw.mu.Unlock()
		close(t.done)
	})
	t.wg.Wait()
	return nil
}
