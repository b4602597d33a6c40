package js

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus/rawconn"
)

// runOnce runs the script's default function once on a new VU and returns
// the iteration's error (a failed assertion in the script throws).
func runOnce(t *testing.T, ctx context.Context, env *Env, src string) error {
	t.Helper()
	prg, err := CompileFile(writeScript(t, src, nil))
	if err != nil {
		t.Fatal(err)
	}
	vu, err := NewVU(prg, env, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vu.Close)
	return vu.RunIteration(ctx, Iteration{Scenario: "default"})
}

const assertJS = `
function assert(cond, msg) { if (!cond) { throw new Error(msg); } }
`

func TestDirectTransportKeepAliveAndWireFormat(t *testing.T) {
	var conns atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/gzip":
			if r.Header.Get("Accept-Encoding") != "gzip" {
				w.Write([]byte("plain:" + r.Header.Get("Accept-Encoding")))
				return
			}
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write([]byte("unzipped"))
			zw.Close()
		case "/chunked":
			w.Header().Set("X-Multi", "a")
			w.Header().Add("X-Multi", "b")
			for _, part := range []string{"one,", "two,", "three"} {
				w.Write([]byte(part))
				w.(http.Flusher).Flush()
			}
		case "/echo":
			b, _ := io.ReadAll(r.Body)
			w.Header().Set("X-UA", r.Header.Get("User-Agent"))
			w.Write([]byte(r.Method + " " + string(b) + " " + r.Header.Get("Cookie")))
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/set-cookie":
			http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/"})
			http.Redirect(w, r, "/echo", http.StatusFound)
		default:
			w.Write([]byte("ok"))
		}
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)

	env := newEnv(t, map[string]string{"BASE_URL": srv.URL})
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  for (let i = 0; i < 20; i++) {
    const r = http.get(__ENV.BASE_URL + '/');
    assert(r.status === 200 && r.body === 'ok', 'plain get: ' + r.status + ' ' + r.body);
  }
  let r = http.get(__ENV.BASE_URL + '/gzip');
  assert(r.body === 'unzipped', 'gzip body: ' + r.body);
  assert(r.headers['Content-Encoding'] === undefined, 'Content-Encoding kept after decompression');
  r = http.get(__ENV.BASE_URL + '/gzip', { headers: { 'Accept-Encoding': 'identity' } });
  assert(r.body === 'plain:identity', 'explicit Accept-Encoding: ' + r.body);
  r = http.get(__ENV.BASE_URL + '/chunked');
  assert(r.body === 'one,two,three', 'chunked body: ' + r.body);
  assert(r.headers['X-Multi'] === 'a, b', 'multi-valued header: ' + r.headers['X-Multi']);
  r = http.head(__ENV.BASE_URL + '/chunked');
  assert(r.status === 200 && r.body === '', 'head: ' + r.status + ' ' + JSON.stringify(r.body));
  r = http.post(__ENV.BASE_URL + '/echo', 'payload');
  assert(r.body === 'POST payload ', 'post: ' + r.body);
  assert(r.headers['X-Ua'] === 'gocli-perf/1 (k6-compatible)', 'user agent: ' + r.headers['X-Ua']);
  r = http.get(__ENV.BASE_URL + '/set-cookie');
  assert(r.status === 200 && r.body === 'GET  session=s1', 'redirect with cookie: ' + r.body);
  r = http.get(__ENV.BASE_URL + '/', { headers: { 'Bad Name': 'x' } });
  assert(r.status === 0 && r.error.indexOf('invalid header field name') >= 0, 'invalid header name: ' + r.status + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/', { headers: { 'X-Bad': 'a\nb' } });
  assert(r.status === 0 && r.error.indexOf('invalid header field value') >= 0, 'invalid header value: ' + r.status + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/close');
  assert(r.body === 'bye', 'connection close: ' + r.body);
  r = http.get(__ENV.BASE_URL + '/');
  assert(r.body === 'ok', 'after close: ' + r.body);
}
`)
	if err != nil {
		t.Fatal(err)
	}
	// One connection for everything up to /close, a second one after it.
	if n := conns.Load(); n != 2 {
		t.Errorf("server saw %d connections, want 2 (keep-alive)", n)
	}
	if got := env.Store.Total("http_reqs"); got != 30 { // a redirect and its target count once; refused requests count
		t.Errorf("http_reqs = %v, want 30", got)
	}
}

// A server may close an idle keep-alive connection at any time: the next
// request on it is sent again on a new connection, as http.Transport does.
func TestDirectTransportRetriesClosedIdleConnection(t *testing.T) {
	var accepted atomic.Int64
	addr := tcpServer(t, func(c net.Conn) {
		accepted.Add(1)
		// One response per connection, then a close without
		// "Connection: close".
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	env := newEnv(t, map[string]string{"BASE_URL": "http://" + addr})
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
import { sleep } from 'k6';
export default function () {
  for (let i = 0; i < 3; i++) {
    const r = http.get(__ENV.BASE_URL + '/');
    assert(r.status === 200 && r.body === 'ok' && r.error === '', 'get ' + i + ': ' + r.status + ' ' + r.error);
  }
  // A POST is not repeated blindly, but a connection the server has
  // already closed is seen before the request goes out.
  for (let i = 0; i < 2; i++) {
    sleep(0.1);
    const r = http.post(__ENV.BASE_URL + '/', 'x');
    assert(r.status === 200 && r.body === 'ok' && r.error === '', 'post ' + i + ': ' + r.status + ' ' + r.error);
  }
}
`)
	if err != nil {
		t.Fatal(err)
	}
	if n := accepted.Load(); n != 5 {
		t.Errorf("accepted %d connections, want 5", n)
	}
}

// A server that read a POST and closed the connection without answering
// may have acted on it: the request fails, it is not sent a second time
// (http.Transport's rule); a GET in the same situation is retried.
func TestDirectTransportDoesNotRepeatPOST(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	addr := tcpServer(t, func(c net.Conn) {
		// Answer the first request of a connection; read the second and
		// close without a word.
		br := bufio.NewReader(c)
		for i := 0; ; i++ {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			mu.Lock()
			seen[req.Method+" "+req.URL.Path]++
			mu.Unlock()
			if i == 1 {
				return
			}
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		}
	})
	env := newEnv(t, map[string]string{"BASE_URL": "http://" + addr})
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  let r = http.post(__ENV.BASE_URL + '/first', 'x');
  assert(r.status === 200, 'first post: ' + r.status + ' ' + r.error);
  r = http.post(__ENV.BASE_URL + '/order', 'x');
  assert(r.status === 0 && r.error !== '', 'unanswered post: status ' + r.status + ', error "' + r.error + '"');
  r = http.get(__ENV.BASE_URL + '/first-get');
  assert(r.status === 200, 'get on a new connection: ' + r.status + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/read');
  assert(r.status === 200, 'retried get: ' + r.status + ' ' + r.error);
}
`)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["POST /order"] != 1 {
		t.Errorf("the unanswered POST reached the server %d times, want once", seen["POST /order"])
	}
	if seen["GET /read"] != 2 {
		t.Errorf("the unanswered GET reached the server %d times, want twice (sent again on a new connection)", seen["GET /read"])
	}
}

func TestDirectTransportTimeoutAndCancel(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stall" {
			// The header and part of the body, then nothing.
			w.Header().Set("Content-Length", "100")
			w.Write([]byte("part"))
			w.(http.Flusher).Flush()
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	env := newEnv(t, map[string]string{"BASE_URL": srv.URL})
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  // Without the request's timeout the default of 60 s would end these.
  const t0 = Date.now();
  const r = http.get(__ENV.BASE_URL + '/', { timeout: '100ms' });
  assert(r.status === 0 && r.error_code === 1050 && r.error !== '', 'timeout: ' + r.status + ' ' + r.error_code + ' ' + r.error);
  const s = http.get(__ENV.BASE_URL + '/stall', { timeout: '100ms' });
  assert(s.error_code === 1050, 'timeout in the body: ' + s.status + ' ' + s.error_code + ' ' + s.error);
  const ok = http.get(__ENV.BASE_URL + '/stall', { timeout: '100ms' });
  assert(ok.error_code === 1050, 'second timeout: ' + ok.error_code);
  assert(Date.now() - t0 < 20000, 'timeouts took ' + (Date.now() - t0) + ' ms');
}
`)
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	prg, err := CompileFile(writeScript(t, "import http from 'k6/http';\nexport default function () { http.get(__ENV.BASE_URL + '/'); }\n", nil))
	if err != nil {
		t.Fatal(err)
	}
	vu, err := NewVU(prg, env, 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(vu.Close)
	go func() { done <- vu.RunIteration(ctx, Iteration{}) }()
	// Cancel once the request is in flight (the server holds it).
	deadline := time.Now().Add(10 * time.Second)
	for vu.bytesWritten.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, ErrInterrupted) {
			t.Fatalf("err = %v, want ErrInterrupted", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("request was not interrupted")
	}
}

// https goes through the standard transport (ALPN, TLS timings).
func TestHTTPSUsesStandardTransport(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		}
		w.Write([]byte(r.Proto))
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	env := newEnv(t, map[string]string{"BASE_URL": srv.URL})
	env.HTTP.InsecureSkipVerify = true
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  const r = http.get(__ENV.BASE_URL + '/');
  assert(r.status === 200 && r.body === 'HTTP/1.1', 'https: ' + r.status + ' ' + r.body + ' ' + r.error);
  assert(r.timings.tls_handshaking > 0, 'no TLS handshake time');
  const t0 = Date.now();
  const slow = http.get(__ENV.BASE_URL + '/slow', { timeout: 100 });
  assert(slow.status === 0 && slow.error_code === 1050, 'https timeout: ' + slow.status + ' ' + slow.error_code + ' ' + slow.error);
  assert(Date.now() - t0 < 20000, 'https timeout took ' + (Date.now() - t0) + ' ms');
}
`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestResponseObject(t *testing.T) {
	srv := server(t)
	env := newEnv(t, map[string]string{"BASE_URL": srv.URL})
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  const r = http.get(__ENV.BASE_URL + '/ok', { headers: { 'X-Req': '1' } });
  assert(r.headers === r.headers, 'headers built twice');
  assert(r.headers['Content-Type'] === 'application/json', 'content type: ' + r.headers['Content-Type']);
  assert(r.json('items.0.id') === 7 && r.json().hello === 'world', 'json');
  assert(r.remote_ip === '127.0.0.1' && r.remote_port > 0, 'remote: ' + r.remote_ip + ':' + r.remote_port);
  assert(r.timings.duration > 0 && r.timings.waiting > 0, 'timings: ' + JSON.stringify(r.timings));
  assert(r.request.method === 'GET' && r.request.headers['X-Req'][0] === '1', 'request: ' + JSON.stringify(r.request));
  assert(r.url.endsWith('/ok') && r.proto === 'HTTP/1.1' && r.status_text === '200 OK', 'url/proto/status_text');
  const keys = Object.keys(r).join(',');
  assert(keys === 'status,status_text,proto,url,error,error_code,remote_ip,remote_port,headers,body,timings,request', 'keys: ' + keys);
  const j = JSON.parse(JSON.stringify(r));
  assert(j.status === 200 && j.body.indexOf('world') > 0 && j.timings.duration > 0, 'stringify: ' + JSON.stringify(j));
  r.mine = 5;
  r.status = 201;
  assert(r.mine === 5 && r.status === 201, 'assignment');
  delete r.body;
  assert(r.body === undefined && Object.keys(r).indexOf('body') < 0 && Object.keys(r).indexOf('mine') >= 0, 'delete');
  const none = http.get(__ENV.BASE_URL + '/ok', { responseType: 'none' });
  assert(none.body === null, 'responseType none');
  let threw = false;
  try { none.json(); } catch (e) { threw = true; }
  assert(threw, 'json() of no body did not throw');
  const bin = http.get(__ENV.BASE_URL + '/ok', { responseType: 'binary' });
  assert(bin.body instanceof ArrayBuffer && bin.body.byteLength === 36, 'binary body');
  const bad = http.get('http://127.0.0.1:1/');
  assert(bad.status === 0 && bad.error_code === 1212 && bad.error !== '' && bad.body === null, 'refused: ' + bad.error_code + ' ' + bad.error);
}
`)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(srv.URL, "127.0.0.1") {
		t.Fatalf("test server is not on 127.0.0.1: %s", srv.URL)
	}
}

// rawServer answers each request it reads with the next of replies (in
// order, over any connections), then closes the connection if the reply
// says so. It returns the base URL.
func rawServer(t *testing.T, replies ...string) string {
	t.Helper()
	var mu sync.Mutex
	next := 0
	return "http://" + tcpServer(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, req.Body)
			mu.Lock()
			reply := "HTTP/1.1 500 No More Replies\r\nContent-Length: 0\r\n\r\n"
			if next < len(replies) {
				reply = replies[next]
				next++
			}
			mu.Unlock()
			io.WriteString(c, reply)
			if strings.Contains(reply, "Connection: close") || !strings.Contains(reply, "Content-Length") && !strings.Contains(reply, "chunked") {
				return
			}
		}
	})
}

// tcpServer accepts connections on a loopback port until the test ends
// and runs serve on each in its own goroutine, closing the connection
// after. It returns the address.
func tcpServer(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(func() { ln.Close() }) // runs first: ends the accept loop
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Framings and interim responses that the direct path's parser handles
// itself, end to end through a VU.
func TestDirectTransportResponseFraming(t *testing.T) {
	continues := strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", 5)
	url := rawServer(t,
		continues+"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-T\r\n\r\n2\r\nab\r\n0\r\nX-T: 1\r\n\r\n",
		"HTTP/1.0 200 OK\r\nX-Old: 1\r\n\r\nto the end",
		"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
		continues+"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n",
		"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nend",
	)
	env := newEnv(t, map[string]string{"BASE_URL": url})
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  let r = http.get(__ENV.BASE_URL + '/1xx');
  assert(r.status === 200 && r.body === 'final', '1xx: ' + r.status + ' ' + r.body + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/chunked');
  assert(r.status === 200 && r.body === 'ab', 'chunked: ' + r.status + ' ' + r.body + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/http10');
  assert(r.status === 200 && r.body === 'to the end' && r.proto === 'HTTP/1.0', 'HTTP/1.0: ' + r.status + ' ' + r.body + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/204');
  assert(r.status === 204 && r.body === '', '204: ' + r.status + ' ' + r.body + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/too-many-1xx');
  assert(r.status === 0 && r.error.indexOf('too many 1xx informational responses') >= 0, 'six 1xx: ' + r.status + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/bad-length');
  assert(r.status === 0 && r.error.indexOf('bad Content-Length') >= 0, 'bad length: ' + r.status + ' ' + r.error);
  r = http.head(__ENV.BASE_URL + '/head');
  assert(r.status === 200 && r.body === '' && r.error === '' && r.headers['Content-Length'] === '42', 'head with a length: ' + r.status + ' ' + JSON.stringify(r.body) + ' ' + r.error);
  r = http.get(__ENV.BASE_URL + '/after-head');
  assert(r.status === 200 && r.body === 'end', 'after head: ' + r.status + ' ' + r.body + ' ' + r.error);
}
`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestCoarseDeadline(t *testing.T) {
	start := time.Now()
	for _, timeout := range []time.Duration{time.Millisecond, 100 * time.Millisecond, 10 * time.Second, 60 * time.Second, 10 * time.Minute} {
		step := min(timeout/64, time.Second)
		d := coarseDeadline(start, timeout)
		if want := start.Add(timeout); d.Before(want) || d.Sub(want) >= step {
			t.Errorf("timeout %v: deadline %v after start, want in [%v, %v)", timeout, d.Sub(start), timeout, timeout+step)
		}
		// Requests started a little later share the deadline.
		if later := coarseDeadline(start.Add(step/4), timeout); d.Sub(start) >= timeout+step/2 && !later.Equal(d) && step > 1 {
			t.Errorf("timeout %v: deadline moved from %v to %v", timeout, d.Sub(start), later.Sub(start))
		}
	}
}

// The direct path sends a request from inside a raw read and then waits for
// the response (sendAwait): responses that arrive at once, requests
// flushed in part before the wait (a body larger than the buffer) and a
// server answering before it read the body all end with the response,
// none with the timeout; and data_sent counts what the server received.
func TestDirectTransportSendAwait(t *testing.T) {
	var received atomic.Int64
	addr := tcpServer(t, func(c net.Conn) {
		br := bufio.NewReader(countingReader{c, &received})
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			switch req.URL.Path {
			case "/early":
				// Answer before reading the body.
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nearly")
				io.Copy(io.Discard, req.Body)
				continue
			}
			n, _ := io.Copy(io.Discard, req.Body)
			io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: "+strconv.Itoa(len(strconv.FormatInt(n, 10)))+"\r\n\r\n"+strconv.FormatInt(n, 10))
		}
	})
	env := newEnv(t, map[string]string{"BASE_URL": "http://" + addr})
	err := runOnce(t, context.Background(), env, assertJS+`
import http from 'k6/http';
export default function () {
  for (let i = 0; i < 2000; i++) {
    const r = http.get(__ENV.BASE_URL + '/', { timeout: '5s' });
    assert(r.status === 200 && r.body === '0', 'get ' + i + ': ' + r.status + ' ' + r.error);
  }
  const big = 'x'.repeat(20000);
  let r = http.post(__ENV.BASE_URL + '/', big, { timeout: '5s' });
  assert(r.status === 200 && r.body === '20000', 'large post: ' + r.status + ' ' + r.body + ' ' + r.error);
  r = http.post(__ENV.BASE_URL + '/early', big, { timeout: '5s' });
  assert(r.status === 200 && r.body === 'early', 'early answer: ' + r.status + ' ' + r.error);
  r = http.post(__ENV.BASE_URL + '/', 'small', { timeout: '5s' });
  assert(r.status === 200 && r.body === '5', 'post after an early answer: ' + r.status + ' ' + r.body + ' ' + r.error);
}
`)
	if err != nil {
		t.Fatal(err)
	}
	// The server has read everything once the last response arrived.
	if sent, got := env.Store.Total("data_sent"), float64(received.Load()); sent != got {
		t.Errorf("data_sent = %v, the server received %v bytes", sent, got)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n *atomic.Int64
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// The VU's connections read with raw system calls (consensus/rawconn):
// their failures still get k6's error codes, and what they read is
// counted.
func TestRawConnErrorCodes(t *testing.T) {
	next := make(chan string)
	addr := tcpServer(t, func(c net.Conn) {
		for what := range next {
			switch what {
			case "reset":
				c.(*net.TCPConn).SetLinger(0)
				return // the deferred Close resets
			case "close":
				return
			default:
				io.WriteString(c, what)
			}
		}
	})
	vu := &VU{}
	dial := func() net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		cc := &countingConn{Conn: rawconn.Wrap(c), vu: vu}
		t.Cleanup(func() { cc.Close() })
		return cc
	}

	c := dial()
	buf := make([]byte, 64)
	go func() { next <- "hello" }()
	n, err := c.Read(buf)
	if err != nil || string(buf[:n]) != "hello" || vu.bytesRead.Load() != 5 {
		t.Fatalf("read %q, %v; counted %d", buf[:n], err, vu.bytesRead.Load())
	}
	c.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err = c.Read(buf); errorCode(err) != 1050 {
		t.Fatalf("past the deadline: %v (code %d), want 1050", err, errorCode(err))
	}
	c.SetReadDeadline(time.Time{})
	next <- "reset"
	if _, err = c.Read(buf); errorCode(err) != 1220 {
		t.Fatalf("after a reset: %v (code %d), want 1220", err, errorCode(err))
	}

	c = dial()
	next <- "close"
	if _, err = c.Read(buf); err != io.EOF {
		t.Fatalf("after the server closed: %v, want io.EOF", err)
	}
	close(next)
}
