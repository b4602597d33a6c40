package consensus

import (
	"net"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
)

type fakeHandler struct {
	msgs        chan *raftpb.Message
	unreachable chan uint64
	snaps       chan bool
	dropped     chan *raftpb.Message
}

func newFakeHandler() *fakeHandler {
	return &fakeHandler{msgs: make(chan *raftpb.Message, 100), unreachable: make(chan uint64, 1000), snaps: make(chan bool, 10), dropped: make(chan *raftpb.Message, 100)}
}

func (h *fakeHandler) Process(m *raftpb.Message) { h.msgs <- m }
func (h *fakeHandler) ReportUnreachable(id uint64) {
	select {
	case h.unreachable <- id:
	default:
	}
}
func (h *fakeHandler) ReportSnapshot(_ uint64, ok bool) { h.snaps <- ok }
func (h *fakeHandler) ReportDropped(m *raftpb.Message) {
	select {
	case h.dropped <- m:
	default:
	}
}

func listen(t *testing.T, addr string) net.Listener {
	t.Helper()
	var ln net.Listener
	var err error
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln
		}
		time.Sleep(20 * time.Millisecond) // the port may still be held briefly
	}
	t.Fatalf("listen %s: %v", addr, err)
	return nil
}

func msg(to, index uint64, typ raftpb.MessageType) *raftpb.Message {
	return &raftpb.Message{Type: typ.Enum(), From: new(uint64(1)), To: new(to), Index: new(index)}
}

func recv(t *testing.T, h *fakeHandler) *raftpb.Message {
	t.Helper()
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message delivered")
		return nil
	}
}

// transportPair starts transports 1 and 2 on loopback, 1 knowing 2 as a
// peer; the caller closes them.
func transportPair(t *testing.T) (a, b *TCPTransport, ha, hb *fakeHandler) {
	ha, hb = newFakeHandler(), newFakeHandler()
	a = NewTCPTransport(1, listen(t, "127.0.0.1:0"), ha, TransportOptions{DialTimeout: 200 * time.Millisecond})
	b = NewTCPTransport(2, listen(t, "127.0.0.1:0"), hb, TransportOptions{})
	a.AddPeer(2, b.Addr())
	return a, b, ha, hb
}

func TestTransportDeliverFilterReconnect(t *testing.T) {
	a, b, ha, hb := transportPair(t)
	defer a.Close()

	a.Send([]*raftpb.Message{msg(2, 1, raftpb.MsgApp)})
	if m := recv(t, hb); m.GetIndex() != 1 || m.GetFrom() != 1 {
		t.Fatalf("got %v", m)
	}

	// A cut link drops; after healing, the next message is the first seen.
	f := NewFaults(1)
	seen := make(chan uint64, 100)
	a.SetFilter(watchFilter{f, seen})
	f.Cut(1, 2)
	a.Send([]*raftpb.Message{msg(2, 2, raftpb.MsgApp)})
	<-seen // the filter has dropped it
	f.Heal()
	a.Send([]*raftpb.Message{msg(2, 3, raftpb.MsgApp)})
	if m := recv(t, hb); m.GetIndex() != 3 {
		t.Fatalf("dropped message delivered: %v", m)
	}

	// Delay holds a message back at least that long.
	f.SetDelay(1, 2, 100*time.Millisecond, 0)
	start := time.Now()
	a.Send([]*raftpb.Message{msg(2, 4, raftpb.MsgApp)})
	recv(t, hb)
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Fatalf("delayed message arrived after %v", d)
	}
	f.Heal()

	// Snapshots are reported once flushed.
	a.Send([]*raftpb.Message{msg(2, 5, raftpb.MsgSnap)})
	recv(t, hb)
	if ok := <-ha.snaps; !ok {
		t.Fatal("snapshot reported as failed")
	}

	// Unknown peers are reported unreachable.
	a.Send([]*raftpb.Message{msg(3, 1, raftpb.MsgApp)})
	if id := <-ha.unreachable; id != 3 {
		t.Fatalf("unreachable %d", id)
	}

	// The peer restarts on the same address: the sender reconnects.
	addr := b.Addr()
	b.Close()
	hb2 := newFakeHandler()
	b2 := NewTCPTransport(2, listen(t, addr), hb2, TransportOptions{})
	defer b2.Close()
	deadline := time.Now().Add(10 * time.Second)
	for i := uint64(10); ; i++ {
		a.Send([]*raftpb.Message{msg(2, i, raftpb.MsgHeartbeat)})
		select {
		case <-hb2.msgs:
			return
		case <-time.After(20 * time.Millisecond): // resend until the reconnect
		}
		if time.Now().After(deadline) {
			t.Fatal("no reconnect")
		}
	}
}

// watchFilter reports each message it has filtered.
type watchFilter struct {
	f    Filter
	seen chan uint64
}

func (w watchFilter) Outbound(from, to uint64, m *raftpb.Message) (bool, time.Duration) {
	drop, d := w.f.Outbound(from, to, m)
	select {
	case w.seen <- m.GetIndex():
	default:
	}
	return drop, d
}

func TestFaultsPartition(t *testing.T) {
	f := NewFaults(7)
	f.Partition([]uint64{1}, []uint64{2, 3})
	for _, c := range []struct {
		from, to uint64
		drop     bool
	}{{1, 2, true}, {2, 1, true}, {2, 3, false}, {4, 1, false}} {
		if drop, _ := f.Outbound(c.from, c.to, nil); drop != c.drop {
			t.Errorf("%d→%d drop = %v, want %v", c.from, c.to, drop, c.drop)
		}
	}
	f.Heal()
	f.SetDropRate(1)
	if drop, _ := f.Outbound(1, 2, nil); !drop {
		t.Error("drop rate 1 delivered")
	}
	f.Heal()
	f.SetDelay(0, 0, time.Millisecond, time.Millisecond)
	if _, d := f.Outbound(1, 2, nil); d < time.Millisecond || d >= 2*time.Millisecond {
		t.Errorf("delay %v outside [1ms, 2ms)", d)
	}
}

// TestTransportHandsBackUnsentProposals: a proposal sent after its
// recipient closed the connection is not written into the half-closed
// socket (where it would vanish without an error) but handed back to the
// node; one the recipient received is not.
func TestTransportHandsBackUnsentProposals(t *testing.T) {
	a, b, ha, hb := transportPair(t)
	defer a.Close()

	a.Send([]*raftpb.Message{msg(2, 1, raftpb.MsgProp)})
	if m := recv(t, hb); m.GetIndex() != 1 {
		t.Fatalf("got %v", m)
	}
	select {
	case m := <-ha.dropped:
		t.Fatalf("a delivered proposal was handed back: %v", m)
	default:
	}

	// The recipient crashes: a's connection to it is half-closed, which a
	// notices (and reports) without writing to it.
	b.Close()
	select {
	case id := <-ha.unreachable:
		if id != 2 {
			t.Fatalf("unreachable %d, want 2", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the peer's close went unnoticed")
	}
	a.Send([]*raftpb.Message{msg(2, 2, raftpb.MsgProp)})
	select {
	case m := <-ha.dropped:
		if m.GetIndex() != 2 {
			t.Fatalf("handed back proposal %d, sent 2", m.GetIndex())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a proposal sent to a closed peer was not handed back")
	}
}
