package consensus

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/gocli/gocli/consensus/rawconn"
)

// Wire format of the peer transport (see docs/consensus.md):
//
//	handshake, once per connection, dialer → listener:
//	  magic   4 bytes "GCR1"
//	  from    uint64 big-endian: the dialer's node ID
//	then frames, dialer → listener only (each direction has its own
//	connection, dialled by the sender):
//	  length  uint32 big-endian: size of the message
//	  message protobuf raftpb.Message
const (
	wireMagic    = "GCR1"
	maxFrameSize = 512 << 20
)

// Handler receives what the transport delivers. Process is called from
// connection goroutines and may block (that is the inbound backpressure);
// the report methods must not block for long.
type Handler interface {
	// Process delivers an inbound message.
	Process(m *raftpb.Message)
	// ReportUnreachable says a message to id could not be sent.
	ReportUnreachable(id uint64)
	// ReportSnapshot says whether a snapshot message to id was sent.
	ReportSnapshot(id uint64, ok bool)
	// ReportDropped hands back a proposal (MsgProp) that this node
	// forwarded to its leader and that never went out: the connection
	// was down, or broke before the message was written whole. No other
	// node saw it, so it can be proposed again without being applied
	// twice. Messages lost after they were written are not reported, nor
	// are those the fault filter drops (they stand for a lossy network).
	// Like ReportUnreachable, it must not block for long.
	ReportDropped(m *raftpb.Message)
}

// Transport moves raft messages between nodes. Send must not block.
type Transport interface {
	// Send queues messages for their recipients.
	Send(msgs []*raftpb.Message)
	// AddPeer sets or updates the address of a peer.
	AddPeer(id uint64, addr string)
	// RemovePeer forgets a peer and closes its connection.
	RemovePeer(id uint64)
	// Addr is the address this transport listens on.
	Addr() string
	// SetFilter installs a fault filter (nil removes it).
	SetFilter(f Filter)
	// Close stops all goroutines and closes all connections.
	Close() error
}

// TCPTransport is the framed-TCP Transport. Each peer has a bounded queue
// and one sender goroutine that dials on demand, reconnects with backoff,
// and reports failures to raft.
type TCPTransport struct {
	id      uint64
	ln      net.Listener
	handler Handler
	log     *slog.Logger
	qsize   int
	dialTO  time.Duration

	filter atomic.Pointer[filterBox]

	mu      sync.Mutex
	peers   map[uint64]*peer
	inbound map[net.Conn]struct{}
	closed  bool

	done chan struct{}
	wg   sync.WaitGroup
}

type filterBox struct{ f Filter }

// TransportOptions configure a TCPTransport.
type TransportOptions struct {
	// QueueSize is the per-peer outbound queue capacity.
	QueueSize int
	// DialTimeout bounds a connection attempt.
	DialTimeout time.Duration
	// Logger receives transport logs.
	Logger *slog.Logger
}

// NewTCPTransport starts serving ln for node id, delivering to h.
func NewTCPTransport(id uint64, ln net.Listener, h Handler, opts TransportOptions) *TCPTransport {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 4096
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(discardHandler{})
	}
	t := &TCPTransport{
		id: id, ln: ln, handler: h, log: opts.Logger, qsize: opts.QueueSize, dialTO: opts.DialTimeout,
		peers: map[uint64]*peer{}, inbound: map[net.Conn]struct{}{}, done: make(chan struct{}),
	}
	t.wg.Add(1)
	go t.accept()
	return t
}

// Addr implements Transport.
func (t *TCPTransport) Addr() string { return t.ln.Addr().String() }

// SetFilter implements Transport.
func (t *TCPTransport) SetFilter(f Filter) {
	if f == nil {
		t.filter.Store(nil)
		return
	}
	t.filter.Store(&filterBox{f})
}

// AddPeer implements Transport.
func (t *TCPTransport) AddPeer(id uint64, addr string) {
	if id == t.id || addr == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if p, ok := t.peers[id]; ok {
		p.setAddr(addr)
		return
	}
	p := &peer{t: t, id: id, addr: addr, queue: make(chan *raftpb.Message, t.qsize),
		delayed: make(chan *raftpb.Message, t.qsize), stop: make(chan struct{})}
	t.peers[id] = p
	t.wg.Add(1)
	go p.run()
}

// RemovePeer implements Transport.
func (t *TCPTransport) RemovePeer(id uint64) {
	t.mu.Lock()
	p, ok := t.peers[id]
	delete(t.peers, id)
	t.mu.Unlock()
	if ok {
		close(p.stop)
	}
}

// PeerAddr returns the address known for a peer.
func (t *TCPTransport) PeerAddr(id uint64) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.peers[id]
	if !ok {
		return "", false
	}
	return p.getAddr(), true
}

// Send implements Transport. A message to an unknown peer or to a full
// queue is dropped and reported, so raft backs off and retries.
func (t *TCPTransport) Send(msgs []*raftpb.Message) {
	for _, m := range msgs {
		to := m.GetTo()
		if to == 0 {
			continue
		}
		t.mu.Lock()
		p := t.peers[to]
		t.mu.Unlock()
		if p == nil {
			t.fail(to, m)
			continue
		}
		select {
		case p.queue <- m:
		default:
			t.fail(to, m)
		}
	}
}

// fail reports a message that was not written to its connection.
func (t *TCPTransport) fail(to uint64, m *raftpb.Message) {
	switch m.GetType() {
	case raftpb.MsgSnap:
		t.handler.ReportSnapshot(to, false)
	case raftpb.MsgProp:
		t.handler.ReportDropped(m)
	}
	t.handler.ReportUnreachable(to)
}

// Close implements Transport.
func (t *TCPTransport) Close() error {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil
	}
	t.closed = true
	close(t.done)
	err := t.ln.Close()
	for _, p := range t.peers {
		close(p.stop)
	}
	t.peers = map[uint64]*peer{}
	for c := range t.inbound {
		c.Close()
	}
	t.mu.Unlock()
	t.wg.Wait()
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close transport listener: %w", err)
	}
	return nil
}

func (t *TCPTransport) accept() {
	defer t.wg.Done()
	for {
		c, err := t.ln.Accept()
		if err != nil {
			select {
			case <-t.done:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			t.log.Warn("accept peer connection", "err", err)
			select {
			case <-t.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		c = rawconn.Wrap(c)
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			c.Close()
			return
		}
		t.inbound[c] = struct{}{}
		t.wg.Add(1)
		t.mu.Unlock()
		go t.serve(c)
	}
}

// serve reads frames from one inbound connection until it fails or the
// transport closes.
func (t *TCPTransport) serve(c net.Conn) {
	defer t.wg.Done()
	defer func() {
		t.mu.Lock()
		delete(t.inbound, c)
		t.mu.Unlock()
		c.Close()
	}()
	r := bufio.NewReaderSize(c, 64<<10)
	var hdr [12]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return
	}
	if string(hdr[:4]) != wireMagic {
		t.log.Warn("peer connection with bad handshake", "remote", c.RemoteAddr().String())
		return
	}
	var buf []byte
	for {
		var lb [4]byte
		if _, err := io.ReadFull(r, lb[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(lb[:])
		if n > maxFrameSize {
			t.log.Warn("peer frame too large", "size", n, "remote", c.RemoteAddr().String())
			return
		}
		if cap(buf) < int(n) {
			buf = make([]byte, n)
		}
		buf = buf[:n]
		if _, err := io.ReadFull(r, buf); err != nil {
			return
		}
		m := &raftpb.Message{}
		if err := proto.Unmarshal(buf, m); err != nil {
			t.log.Warn("decode peer message", "err", err)
			return
		}
		select {
		case <-t.done:
			return
		default:
		}
		t.handler.Process(m)
	}
}

type peer struct {
	t       *TCPTransport
	id      uint64
	mu      sync.Mutex
	addr    string
	queue   chan *raftpb.Message
	delayed chan *raftpb.Message
	stop    chan struct{}

	conn      net.Conn
	closed    *atomic.Bool // set by watch once the far end has closed conn
	w         *bufio.Writer
	nextDial  time.Time
	backoff   time.Duration
	lastAddr  string
	pendSnaps []uint64 // snapshot messages written but not yet flushed
	buf       []byte   // reused to marshal outgoing messages (when at most 1 MiB)
}

func (p *peer) setAddr(a string) { p.mu.Lock(); p.addr = a; p.mu.Unlock() }
func (p *peer) getAddr() string  { p.mu.Lock(); defer p.mu.Unlock(); return p.addr }

func (p *peer) run() {
	defer p.t.wg.Done()
	defer p.closeConn()
	for {
		var m *raftpb.Message
		select {
		case <-p.stop:
			return
		case <-p.t.done:
			return
		case m = <-p.queue:
			if !p.filter(m) {
				continue
			}
		case m = <-p.delayed:
		}
		p.write(m)
		// Drain what is already queued before flushing: one flush (and
		// usually one TCP segment train) per burst.
	drain:
		for i := 0; i < 256; i++ {
			select {
			case m = <-p.queue:
				if p.filter(m) {
					p.write(m)
				}
			case m = <-p.delayed:
				p.write(m)
			default:
				break drain
			}
		}
		p.flush()
	}
}

// filter applies the fault filter; it returns true when m should be
// written now. Delayed messages come back through p.delayed.
func (p *peer) filter(m *raftpb.Message) bool {
	fb := p.t.filter.Load()
	if fb == nil {
		return true
	}
	drop, delay := fb.f.Outbound(p.t.id, p.id, m)
	if drop {
		if m.GetType() == raftpb.MsgSnap {
			p.t.handler.ReportSnapshot(p.id, false)
		}
		return false
	}
	if delay <= 0 {
		return true
	}
	// The timer's goroutine ends when it has handed the message over or
	// the peer has stopped.
	time.AfterFunc(delay, func() {
		select {
		case p.delayed <- m:
		case <-p.stop:
		case <-p.t.done:
		}
	})
	return false
}

func (p *peer) ensureConn() bool {
	addr := p.getAddr()
	if p.conn != nil && addr == p.lastAddr && !p.closed.Load() {
		return true
	}
	p.closeConn()
	if time.Now().Before(p.nextDial) {
		return false
	}
	c, err := net.DialTimeout("tcp", addr, p.t.dialTO)
	if err == nil {
		c = rawconn.Wrap(c)
		var hs [12]byte
		copy(hs[:4], wireMagic)
		binary.BigEndian.PutUint64(hs[4:], p.t.id)
		c.SetWriteDeadline(time.Now().Add(p.t.dialTO))
		if _, err = c.Write(hs[:]); err != nil {
			c.Close()
		}
	}
	if err != nil {
		if p.backoff == 0 {
			p.backoff = 20 * time.Millisecond
		} else if p.backoff < time.Second {
			p.backoff *= 2
		}
		p.nextDial = time.Now().Add(p.backoff)
		return false
	}
	p.backoff = 0
	p.conn = c
	p.closed = new(atomic.Bool)
	p.lastAddr = addr
	p.w = bufio.NewWriterSize(c, 64<<10)
	p.t.wg.Add(1)
	go p.watch(c, p.closed)
	return true
}

// watch sets closed once the far end closes c, or c is closed here. The
// far end never writes on a connection this node dialled, so a read
// returns only then. Without it, the first message after the far end
// crashed would be written into the half-closed socket without an error
// and lost; with it, that message finds the connection gone, is not
// written, and is reported (a proposal is handed back: ReportDropped).
// A close by the far end is reported as the peer being unreachable, so
// raft stops streaming appends to it before a write fails.
func (p *peer) watch(c net.Conn, closed *atomic.Bool) {
	defer p.t.wg.Done()
	var b [1]byte
	_, err := c.Read(b[:])
	closed.Store(true)
	if !errors.Is(err, net.ErrClosed) {
		p.t.handler.ReportUnreachable(p.id)
	}
}

func (p *peer) closeConn() {
	if p.conn != nil {
		p.conn.Close()
		p.conn = nil
		p.w = nil
	}
}

func (p *peer) write(m *raftpb.Message) {
	if !p.ensureConn() {
		p.t.fail(p.id, m)
		return
	}
	// Marshalled into the peer's buffer, after room for the length: the
	// bufio.Writer copies it, so one buffer serves every message.
	data, err := proto.MarshalOptions{}.MarshalAppend(append(p.buf[:0], 0, 0, 0, 0), m)
	if err != nil {
		p.t.log.Error("encode raft message", "err", err)
		p.t.fail(p.id, m)
		return
	}
	if cap(data) <= 1<<20 {
		p.buf = data
	}
	binary.BigEndian.PutUint32(data, uint32(len(data)-4))
	p.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err = p.w.Write(data); err != nil {
		p.broken(err)
		p.t.fail(p.id, m)
		return
	}
	if m.GetType() == raftpb.MsgSnap {
		p.pendSnaps = append(p.pendSnaps, p.id)
	}
}

func (p *peer) flush() {
	if p.w == nil {
		p.failSnaps()
		return
	}
	if err := p.w.Flush(); err != nil {
		p.broken(err)
		p.t.handler.ReportUnreachable(p.id)
		return
	}
	for range p.pendSnaps {
		p.t.handler.ReportSnapshot(p.id, true)
	}
	p.pendSnaps = p.pendSnaps[:0]
}

func (p *peer) failSnaps() {
	for range p.pendSnaps {
		p.t.handler.ReportSnapshot(p.id, false)
	}
	p.pendSnaps = p.pendSnaps[:0]
}

func (p *peer) broken(err error) {
	p.t.log.Debug("peer connection broken", "peer", p.id, "err", err)
	p.failSnaps()
	p.closeConn()
}
