package js

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/gocli/gocli/consensus/rawconn"
)

// directTransport is a VU's HTTP transport. Plain http:// requests without
// a proxy go over HTTP/1.1 keep-alive connections that the calling
// goroutine writes and reads itself; everything else (https, where ALPN may
// choose HTTP/2, and proxied requests) goes to a standard http.Transport.
//
// The standard transport hands every request to a connection's read and
// write goroutines and back over channels: two goroutine switches and a
// select per request, which profiles of a 64-VU run showed as a large share
// of the client's CPU time per request. A VU makes its requests one after
// another (batch aside), so it gains nothing from that machinery.
//
// The wire format is written and parsed by http1.go with net/http's
// rules; the timing events are handed to the request's phaseRecorder (or,
// without one, to its httptrace hooks) at the points http.Transport would
// fire the hooks (DNS and connect events come from net.Dialer, which reads
// them from the request's context).
type directTransport struct {
	fallback *http.Transport
	dial     func(ctx context.Context, network, addr string) (net.Conn, error)
	maxIdle  int

	mu       sync.Mutex
	idle     map[string][]*directConn
	inflight map[*directConn]struct{}
}

// directConn is one keep-alive connection with its buffers.
type directConn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	// w is the writer under bw.
	w connWriter
	// raw is the socket under conn, for sendAwait; nil where the
	// platform does not give one.
	raw syscall.RawConn
	// await is sendAwait's callback, made once per connection (a
	// closure per request would be an allocation), and its state.
	await       func(fd uintptr) bool
	awaitCalled bool
	awaitErr    error
	awaitWrote  time.Time
	key         string
	hc          headerCache
	// idleAt is when the connection last received the first byte of a
	// response: the reference for recentIdle once it is idle again
	// (earlier than its return to the idle list by the time the body
	// took, which errs on the side of checking it).
	idleAt time.Time
	// deadline is the connection's read and write deadline.
	deadline time.Time
	// aborted is set (under the transport's lock) when abort cut the
	// connection's current request short: it cannot be reused.
	aborted bool
}

// requestScope carries, in a request's context, what the VU decides for
// each request without deriving a new context from it: the deadline of
// the request's timeout. ownerCancels says that the VU calls abort when
// the context ends, so the transport need not watch the context itself.
// A VU builds one context per iteration context and reuses it: deriving a
// context with a timeout, a trace and a cancellation callback for every
// request cost more than a tenth of the client's CPU time per request.
type requestScope struct {
	deadline     time.Time
	ownerCancels bool
	// phases, when set, receives the direct path's timing events in
	// place of the request's httptrace hooks (DNS and connect events
	// still come through the hooks, from net.Dialer).
	phases phaseRecorder
}

// phaseRecorder takes the events of one request on the direct path.
type phaseRecorder interface {
	directPhases(directTimes)
}

// directTimes are the events of the last attempt of a request on the
// direct path; zero times did not happen.
type directTimes struct {
	getConn, gotConn, wrote, firstByte time.Time
	remote                             net.Addr
}

type requestScopeKey struct{}

func scopeOf(ctx context.Context) *requestScope {
	s, _ := ctx.Value(requestScopeKey{}).(*requestScope)
	return s
}

func newDirectTransport(fallback *http.Transport, maxIdlePerHost int) *directTransport {
	return &directTransport{
		fallback: fallback,
		dial:     fallback.DialContext,
		maxIdle:  maxIdlePerHost,
		idle:     make(map[string][]*directConn),
		inflight: make(map[*directConn]struct{}),
	}
}

// abort fails the requests in flight on direct connections: the VU calls
// it when the context of its iteration ends.
func (t *directTransport) abort() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.inflight {
		c.aborted = true
		c.conn.SetDeadline(time.Unix(1, 0)) //nolint:errcheck // best effort: the read fails either way
	}
}

// CloseIdleConnections closes the idle connections of both transports.
func (t *directTransport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = make(map[string][]*directConn)
	t.mu.Unlock()
	for _, conns := range idle {
		for _, c := range conns {
			c.conn.Close()
		}
	}
	t.fallback.CloseIdleConnections()
}

// direct reports whether req can take the direct path.
func (t *directTransport) direct(req *http.Request) bool {
	if req.URL.Scheme != "http" || req.URL.Host == "" {
		return false
	}
	if t.fallback.Proxy != nil {
		if p, err := t.fallback.Proxy(req); err != nil || p != nil {
			return false
		}
	}
	return true
}

// RoundTrip implements http.RoundTripper.
func (t *directTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	scope := scopeOf(ctx)
	if !t.direct(req) {
		return t.roundTripFallback(req, scope)
	}
	// As http.Transport does, refuse what would corrupt the request.
	if err := validateHeaders(req.Header); err != nil {
		return nil, err
	}
	var trace *httptrace.ClientTrace
	var tm directTimes
	if scope != nil && scope.phases != nil {
		rec := scope.phases
		defer func() { rec.directPhases(tm) }()
	} else {
		trace = httptrace.ContextClientTrace(ctx)
	}
	key := canonicalAddr(req)
	replay := replayable(req)
	for attempt := 0; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tm = directTimes{getConn: time.Now()}
		if trace != nil && trace.GetConn != nil {
			trace.GetConn(key)
		}
		c, reused, err := t.getConn(ctx, scope, key, replay, tm.getConn)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		tm.gotConn, tm.remote = time.Now(), c.conn.RemoteAddr()
		if trace != nil && trace.GotConn != nil {
			trace.GotConn(httptrace.GotConnInfo{Conn: c.conn, Reused: reused, WasIdle: reused})
		}
		resp, err := t.roundTrip(ctx, scope, trace, &tm, c, req)
		if err == nil {
			return resp, nil
		}
		t.release(c, false)
		// A server may close an idle connection at any time; as
		// http.Transport does, retry once on a new connection when
		// nothing of the response arrived and the request can be sent
		// again: when writing it failed (the server did not get it whole),
		// or when it is idempotent (a server that got a POST and closed
		// without answering may have acted on it: it is not repeated).
		var nr *noResponseError
		var ne net.Error
		timedOut := errors.As(err, &ne) && ne.Timeout()
		if !reused || attempt > 0 || timedOut || !errors.As(err, &nr) || !rewindable(req) || (nr.written && !replay) {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, errors.Unwrap(err)
		}
		if req.GetBody != nil && req.Body != nil && req.Body != http.NoBody {
			body, gerr := req.GetBody()
			if gerr != nil {
				return nil, gerr
			}
			req = req.Clone(ctx)
			req.Body = body
		}
	}
}

func validateHeaders(h http.Header) error {
	for k, vs := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("net/http: invalid header field name %q", k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("net/http: invalid header field value for %q", k)
			}
		}
	}
	return nil
}

// noResponseError wraps a failure that happened before the first byte of
// the response: the request may be sent again on a fresh connection.
type noResponseError struct {
	err error
	// written: the request went out whole before the failure.
	written bool
}

func (e *noResponseError) Error() string { return e.err.Error() }
func (e *noResponseError) Unwrap() error { return e.err }

// responseError wraps a failure after the response started: never retried.
type responseError struct{ err error }

func (e *responseError) Error() string { return e.err.Error() }
func (e *responseError) Unwrap() error { return e.err }

// replayable reports whether sending req twice is harmless, by
// http.Transport's rule: an idempotent method without a body, or a request
// carrying an idempotency key.
func replayable(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		switch req.Method {
		case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
			return true
		}
	}
	_, ok := req.Header["Idempotency-Key"]
	_, xok := req.Header["X-Idempotency-Key"]
	return ok || xok
}

func rewindable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// roundTrip writes req on c and reads the response header. The body is
// read by the caller through the returned response; the connection goes
// back to the idle list when the body has been read to the end and closed.
func (t *directTransport) roundTrip(ctx context.Context, scope *requestScope, trace *httptrace.ClientTrace, tm *directTimes, c *directConn, req *http.Request) (*http.Response, error) {
	// The request's timeout and the end of its context reach a blocked
	// read or write through the connection's deadline.
	var deadline time.Time
	if scope != nil {
		deadline = scope.deadline
	} else if d, ok := ctx.Deadline(); ok {
		deadline = d
	}
	// Set only when it changes (see coarseDeadline): every other
	// deadline set on a connection (abort, the end of ctx) ends its use.
	if !deadline.Equal(c.deadline) {
		c.conn.SetDeadline(deadline) //nolint:errcheck // a failed deadline fails the I/O below
		c.deadline = deadline
	}
	stop := func() bool { return true }
	if scope == nil || !scope.ownerCancels {
		stop = context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Unix(1, 0)) }) //nolint:errcheck // best effort
	}
	// Registered before checking ctx: abort either sees the connection or
	// ran before the check, which then fails.
	t.mu.Lock()
	t.inflight[c] = struct{}{}
	t.mu.Unlock()
	if err := ctx.Err(); err != nil {
		stop()
		return nil, &responseError{err}
	}
	fail := func(err error, before, written bool) (*http.Response, error) {
		stop()
		if before {
			return nil, &noResponseError{err: err, written: written}
		}
		return nil, &responseError{err}
	}

	// Ask for gzip and decompress transparently, as http.Transport does
	// unless the script set Accept-Encoding (or Range) itself.
	gz := req.Method != http.MethodHead && headerFirst(req.Header, "Accept-Encoding") == "" && headerFirst(req.Header, "Range") == "" && !t.fallback.DisableCompression
	var err error
	written := c.w.written
	if fastWritable(req) {
		err = writeRequest(c.bw, req, gz)
	} else {
		if gz {
			req.Header["Accept-Encoding"] = gzipOnly
		}
		err = req.Write(c.bw)
		if gz {
			delete(req.Header, "Accept-Encoding")
		}
	}
	switch {
	case err != nil:
		tm.wrote = time.Now()
	case c.raw != nil && trace == nil && c.w.written == written && c.br.Buffered() == 0:
		// The whole request is in the buffer, nothing of an earlier
		// response is (see sendAwait), and no WroteRequest hook wants
		// to be called before the response arrives.
		tm.wrote, err = c.sendAwait()
	default:
		err = c.bw.Flush()
		tm.wrote = time.Now()
	}
	if trace != nil && trace.WroteRequest != nil {
		trace.WroteRequest(httptrace.WroteRequestInfo{Err: err})
	}
	if err != nil {
		return fail(err, true, false)
	}
	if _, err := c.br.Peek(1); err != nil {
		return fail(err, true, true)
	}
	tm.firstByte = time.Now()
	c.idleAt = tm.firstByte
	if trace != nil && trace.GotFirstResponseByte != nil {
		trace.GotFirstResponseByte()
	}
	// The response and its body in one allocation.
	dr := &struct {
		resp http.Response
		body directBody
	}{body: directBody{t: t, c: c, stop: stop, ctx: ctx}}
	b := &dr.body
	var resp *http.Response
	for n1xx := 0; ; n1xx++ {
		resp, err = readResponse(c.br, &c.hc, req, &dr.resp, b)
		if err != nil {
			return fail(err, false, true)
		}
		// Informational responses precede the real one (101 is final).
		if resp.StatusCode < 100 || resp.StatusCode > 199 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		if n1xx == max1xxResponses {
			return fail(errors.New("net/http: too many 1xx informational responses"), false, true)
		}
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return fail(fmt.Errorf("protocol upgrades are not supported (status %s)", resp.Status), false, true)
	}
	b.keep = !resp.Close && !req.Close
	if gz && strings.EqualFold(resp.Header.Get("Content-Encoding"), "gzip") {
		resp.Body = &gzipBody{body: b}
		resp.Header = c.hc.ownHeader(resp.Header)
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
		resp.ContentLength = -1
		resp.Uncompressed = true
	}
	return resp, nil
}

var gzipOnly = []string{"gzip"}

// headerFirst is h.Get(key) for a canonical key, without canonicalising it.
func headerFirst(h http.Header, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// bodyKind says how a response body is delimited.
type bodyKind uint8

const (
	bodyNone       bodyKind = iota // no body (HEAD, 1xx, 204, 304, Content-Length: 0)
	bodyLength                     // Content-Length bytes
	bodyChunked                    // chunked, then a trailer
	bodyUntilClose                 // up to the end of the connection
)

// directBody is a response body on a direct connection.
type directBody struct {
	t      *directTransport
	c      *directConn
	resp   *http.Response
	stop   func() bool
	ctx    context.Context
	kind   bodyKind
	remain int64     // bodyLength: bytes still to read
	chunks io.Reader // bodyChunked: the chunked decoder
	keep   bool
	eof    bool
	closed bool
	err    error
}

func (b *directBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("http: read on closed response body")
	}
	if b.err != nil {
		return 0, b.err
	}
	if b.eof {
		return 0, io.EOF
	}
	n, err := b.read(p)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil:
		if b.ctx.Err() != nil {
			err = b.ctx.Err()
		}
		b.err = err
	}
	return n, err
}

func (b *directBody) read(p []byte) (int, error) {
	br := b.c.br
	switch b.kind {
	case bodyLength:
		if len(p) == 0 {
			return 0, nil
		}
		if int64(len(p)) > b.remain {
			p = p[:b.remain]
		}
		n, err := br.Read(p)
		b.remain -= int64(n)
		if b.remain == 0 {
			return n, io.EOF
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	case bodyChunked:
		n, err := b.chunks.Read(p)
		if err == io.EOF {
			if terr := readTrailer(br, b.resp); terr != nil {
				return n, terr
			}
		}
		return n, err
	case bodyUntilClose:
		return br.Read(p)
	}
	return 0, io.EOF
}

// Close drains what is left of the body (as the standard body does) and
// gives the connection back when it can carry another request.
func (b *directBody) Close() error {
	if b.closed {
		return nil
	}
	if b.keep && !b.eof && b.err == nil {
		io.Copy(io.Discard, b) //nolint:errcheck // a failed drain sets b.err
	}
	b.closed = true
	fired := !b.stop()
	b.t.release(b.c, !fired && b.keep && (b.eof || b.kind == bodyNone) && b.err == nil)
	return nil
}

// gzipBody decompresses a gzip response body on first read.
type gzipBody struct {
	body *directBody
	zr   *gzip.Reader
	err  error
}

func (g *gzipBody) Read(p []byte) (int, error) {
	if g.zr == nil && g.err == nil {
		g.zr, g.err = gzip.NewReader(g.body)
	}
	if g.err != nil {
		return 0, g.err
	}
	return g.zr.Read(p)
}

func (g *gzipBody) Close() error { return g.body.Close() }

// recentIdle is how long after its last response a connection is reused
// without first checking that the server has not closed it, for requests
// that may be sent twice: if it has, the request fails before any of the
// response arrives and goes out again on a new connection. The check is
// a system call, a tenth of the client's CPU time per request in a busy
// loop; a server closing a connection within this time of its last
// response (without saying so) is rare. So is one sending bytes after a
// response, which a check would have caught: the next request then reads
// them as its response and fails (when the server answers it; if it only
// half-closes and never answers, sendAwait waits out the request's
// timeout, since the readiness those bytes or the close signalled was
// reset before the request went out).
const recentIdle = 100 * time.Millisecond

// getConn returns an idle connection to key, or dials one. replay says
// that the request may be sent again (see recentIdle).
func (t *directTransport) getConn(ctx context.Context, scope *requestScope, key string, replay bool, now time.Time) (*directConn, bool, error) {
	for {
		t.mu.Lock()
		l := t.idle[key]
		if len(l) == 0 {
			t.mu.Unlock()
			break
		}
		c := l[len(l)-1]
		t.idle[key] = l[:len(l)-1]
		t.mu.Unlock()
		// There is no background reader to notice a server closing an
		// idle connection (http.Transport has one): look before reusing,
		// so that a request is not sent into a connection already closed.
		if c.br.Buffered() == 0 && ((replay && now.Sub(c.idleAt) < recentIdle) || idleConnAlive(c.conn)) {
			return c, true, nil
		}
		c.conn.Close()
	}
	if scope != nil && !scope.deadline.IsZero() {
		// Dials are rare (keep-alive): a derived context is cheap enough.
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, scope.deadline)
		defer cancel()
	}
	conn, err := t.dial(ctx, "tcp", key)
	if err != nil {
		return nil, false, err
	}
	c := &directConn{conn: conn, br: bufio.NewReaderSize(conn, 4096), raw: rawconn.Socket(conn), key: key}
	c.await = c.sendInRead
	c.w.conn = conn
	c.bw = bufio.NewWriterSize(&c.w, 4096)
	return c, false, nil
}

// connWriter is the writer under a direct connection's bufio.Writer. It
// counts what it wrote, so that the transport can tell whether a request
// went out in one flush; while raw is set, it writes with system calls on
// the socket fd, as far as the socket takes them without blocking, and
// the rest through conn (see sendAwait).
type connWriter struct {
	conn    net.Conn
	fd      uintptr
	raw     bool
	written int64
}

func (w *connWriter) Write(p []byte) (int, error) {
	n := 0
	if w.raw {
		n, _ = rawconn.WriteFD(w.fd, p)
		if wc, ok := w.conn.(writeCounter); ok && n > 0 {
			wc.countWritten(n)
		}
	}
	if n < len(p) {
		m, err := w.conn.Write(p[n:])
		n += m
		if err != nil {
			w.written += int64(n)
			return n, err
		}
	}
	w.written += int64(n)
	return n, nil
}

// writeCounter is a connection that counts the bytes written through it
// (data_sent): writes made on its socket directly are added with
// countWritten.
type writeCounter interface {
	countWritten(n int)
}

// sendAwait flushes the request buffered in c.bw and waits until the
// socket is readable, saving the read system call that a read right after
// the write would spend finding nothing (about one per request on a
// loopback server). The flush happens inside a raw read, on its first
// call, because the poller forgets the socket's readiness when a read
// starts: a response that arrived before the wait began would be missed
// (the poller is edge-triggered) and the wait would last until the
// deadline. Inside the raw read, the first byte of the request leaves
// after that reset, so the response's arrival wakes the wait. The caller
// must have written nothing of this request to the connection before
// (the whole request is in the buffer: a server may answer before it has
// read all of a request). A wait that ends in an error (deadline, abort,
// closed connection) is left for the read that follows to report, in the
// form a read reports it. wrote is when the request had been written.
func (c *directConn) sendAwait() (wrote time.Time, err error) {
	c.awaitCalled, c.awaitErr = false, nil
	c.raw.Read(c.await) //nolint:errcheck // the read that follows reports why the wait ended
	if !c.awaitCalled {
		// The raw read failed before calling (a deadline passed, the
		// connection closed): flush as usual, which reports it.
		err := c.bw.Flush()
		return time.Now(), err
	}
	return c.awaitWrote, c.awaitErr
}

// sendInRead is the raw read's callback of sendAwait: the first call
// writes the request, the second (the socket is readable) ends the wait.
func (c *directConn) sendInRead(fd uintptr) bool {
	if c.awaitCalled {
		return true
	}
	c.awaitCalled = true
	c.w.fd, c.w.raw = fd, true
	c.awaitErr = c.bw.Flush()
	c.w.raw = false
	c.awaitWrote = time.Now()
	// Wait for the response unless the write failed.
	return c.awaitErr != nil
}

// release ends a request on c: the connection goes back to the idle list
// when keep says it can carry another request and abort did not cut it.
func (t *directTransport) release(c *directConn, keep bool) {
	t.mu.Lock()
	delete(t.inflight, c)
	if keep && !c.aborted && len(t.idle[c.key]) < t.maxIdle {
		t.idle[c.key] = append(t.idle[c.key], c)
		c = nil
	}
	t.mu.Unlock()
	if c != nil {
		c.conn.Close()
	}
}

// roundTripFallback sends req through the standard transport, applying
// the scope's deadline as a context deadline until the body is closed.
func (t *directTransport) roundTripFallback(req *http.Request, scope *requestScope) (*http.Response, error) {
	if scope == nil || scope.deadline.IsZero() {
		return t.fallback.RoundTrip(req)
	}
	ctx, cancel := context.WithDeadline(req.Context(), scope.deadline)
	resp, err := t.fallback.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

// cancelBody releases a request's context when its body is closed.
type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}

// canonicalAddr is host:port of the request's URL, with port 80 by default.
func canonicalAddr(req *http.Request) string {
	if req.URL.Port() != "" {
		return req.URL.Host
	}
	return net.JoinHostPort(req.URL.Hostname(), "80")
}
