package js

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// parse reads one response to a request with the given method from raw,
// and its body when the head parsed.
func parse(t *testing.T, hc *headerCache, method, raw string) (*http.Response, string, error) {
	t.Helper()
	br := bufio.NewReaderSize(strings.NewReader(raw), 4096)
	req, err := http.NewRequest(method, "http://example.com/", nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &directBody{c: &directConn{br: br}, ctx: context.Background()}
	resp, err := readResponse(br, hc, req, &http.Response{}, b)
	if err != nil {
		return nil, "", err
	}
	body, err := io.ReadAll(b)
	return resp, string(body), err
}

func TestReadResponse(t *testing.T) {
	long := strings.Repeat("x", 10000) // longer than the 4 KiB buffer
	tests := []struct {
		name, method, raw string
		status            int
		proto             string
		header            http.Header
		trailer           http.Header
		body              string
		length            int64
		close             bool
		wantErr           string
	}{
		{
			name: "content length", raw: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nokEXTRA",
			status: 200, proto: "HTTP/1.1", header: http.Header{"Content-Type": {"text/plain"}, "Content-Length": {"2"}}, body: "ok", length: 2,
		},
		{
			name: "chunked with a trailer", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\none\r\n4;ext=1\r\n,two\r\n0\r\nX-Sum: 7\r\n\r\n",
			status: 200, proto: "HTTP/1.1", header: http.Header{}, trailer: http.Header{"X-Sum": {"7"}}, body: "one,two", length: -1,
		},
		{
			name: "chunked without a trailer", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\nContent-Length: 99\r\n\r\n2\r\nok\r\n0\r\n\r\n",
			status: 200, proto: "HTTP/1.1", header: http.Header{}, body: "ok", length: -1,
		},
		{
			name: "HTTP/1.0 closes by default", raw: "HTTP/1.0 200 OK\r\n\r\nuntil the end",
			status: 200, proto: "HTTP/1.0", header: http.Header{}, body: "until the end", length: -1, close: true,
		},
		{
			name: "HTTP/1.0 keep-alive", raw: "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok",
			status: 200, proto: "HTTP/1.0", header: http.Header{"Connection": {"keep-alive"}, "Content-Length": {"2"}}, body: "ok", length: 2,
		},
		{
			name: "HTTP/1.0 ignores Transfer-Encoding", raw: "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nraw",
			status: 200, proto: "HTTP/1.0", header: http.Header{}, body: "raw", length: -1, close: true,
		},
		{
			name: "HTTP/1.1 without length reads to the end", raw: "HTTP/1.1 200 OK\r\n\r\nall of it",
			status: 200, proto: "HTTP/1.1", header: http.Header{}, body: "all of it", length: -1, close: true,
		},
		{
			name: "Connection: close", raw: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
			status: 200, proto: "HTTP/1.1", header: http.Header{"Content-Length": {"2"}}, body: "ok", length: 2, close: true,
		},
		{
			name: "HEAD has no body but a length", method: http.MethodHead, raw: "HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n",
			status: 200, proto: "HTTP/1.1", header: http.Header{"Content-Length": {"42"}}, length: 42,
		},
		{
			name: "204 has no body", raw: "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nnext!",
			status: 204, proto: "HTTP/1.1", header: http.Header{"Content-Length": {"5"}},
		},
		{
			name: "304 has no body", raw: "HTTP/1.1 304 Not Modified\r\nEtag: \"x\"\r\n\r\n",
			status: 304, proto: "HTTP/1.1", header: http.Header{"Etag": {`"x"`}},
		},
		{
			name: "100 Continue has no body", raw: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n",
			status: 100, proto: "HTTP/1.1", header: http.Header{},
		},
		{
			name: "names canonical, values trimmed, folded lines joined", raw: "HTTP/1.1 200 OK\r\ncontent-length: 0\r\nx-multi: a \r\nX-MULTI:\tb\r\nX-Folded: one\r\n  two\r\n\tthree\r\nOdd Name: kept\r\nPragma: no-cache\r\n\r\n",
			status: 200, proto: "HTTP/1.1", header: http.Header{
				"Content-Length": {"0"}, "X-Multi": {"a", "b"}, "X-Folded": {"one two three"}, "Odd Name": {"kept"},
				"Pragma": {"no-cache"}, "Cache-Control": {"no-cache"},
			},
		},
		{
			name: "line longer than the buffer", raw: "HTTP/1.1 200 OK\r\nX-Long: " + long + "\r\nContent-Length: 1\r\n\r\n.",
			status: 200, proto: "HTTP/1.1", header: http.Header{"X-Long": {long}, "Content-Length": {"1"}}, body: ".", length: 1,
		},
		{
			name: "status without text", raw: "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
			status: 200, proto: "HTTP/1.1", header: http.Header{"Content-Length": {"0"}},
		},
		{
			name: "same Content-Length twice", raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length:  2\r\n\r\nok",
			status: 200, proto: "HTTP/1.1", header: http.Header{"Content-Length": {"2"}}, body: "ok", length: 2,
		},
		{name: "no space in the status line", raw: "HTTP/1.1\r\n\r\n", wantErr: `malformed HTTP response "HTTP/1.1"`},
		{name: "short status code", raw: "HTTP/1.1 20 OK\r\n\r\n", wantErr: `malformed HTTP status code "20"`},
		{name: "status code not a number", raw: "HTTP/1.1 2x0 OK\r\n\r\n", wantErr: `malformed HTTP status code "2x0"`},
		{name: "bad version", raw: "HTTQ/1.1 200 OK\r\n\r\n", wantErr: `malformed HTTP version "HTTQ/1.1"`},
		{name: "empty input", raw: "", wantErr: "unexpected EOF"},
		{name: "head cut short", raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", wantErr: "unexpected EOF"},
		{name: "header without colon", raw: "HTTP/1.1 200 OK\r\nNoColon\r\n\r\n", wantErr: `malformed MIME header: missing colon: "NoColon"`},
		{name: "bad byte in a name", raw: "HTTP/1.1 200 OK\r\nBad\x01Name: v\r\n\r\n", wantErr: "malformed MIME header line"},
		{name: "empty name", raw: "HTTP/1.1 200 OK\r\n: v\r\n\r\n", wantErr: "malformed MIME header line"},
		{name: "control byte in a value", raw: "HTTP/1.1 200 OK\r\nX: a\x00b\r\n\r\n", wantErr: "malformed MIME header line"},
		{name: "first header line folded", raw: "HTTP/1.1 200 OK\r\n X: v\r\n\r\n", wantErr: "malformed MIME header initial line"},
		{name: "bad Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n", wantErr: `bad Content-Length "12a"`},
		{name: "negative Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", wantErr: `bad Content-Length "-1"`},
		{name: "empty Content-Length", raw: "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n", wantErr: "invalid empty Content-Length"},
		{name: "different Content-Lengths", raw: "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok", wantErr: "multiple Content-Length headers"},
		{name: "unsupported transfer encoding", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", wantErr: `unsupported transfer encoding: "gzip"`},
		{name: "two transfer encodings", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", wantErr: "too many transfer encodings"},
		{name: "bad trailer key", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: Content-Length\r\n\r\n0\r\n\r\n", wantErr: `bad trailer key "Content-Length"`},
		{name: "body shorter than its length", raw: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nok", wantErr: "unexpected EOF"},
		{name: "bad chunk size", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n", wantErr: "invalid byte in chunk length"},
		{name: "chunked cut short", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nok", wantErr: "unexpected EOF"},
		{name: "headers over the limit", raw: "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("x", maxResponseHeaderBytes) + "\r\n\r\n", wantErr: "server response headers exceeded 10485760 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			resp, body, err := parse(t, &headerCache{}, method, tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || resp.Proto != tt.proto {
				t.Errorf("status %d %s, want %d %s", resp.StatusCode, resp.Proto, tt.status, tt.proto)
			}
			if !reflect.DeepEqual(resp.Header, tt.header) {
				t.Errorf("header = %q, want %q", resp.Header, tt.header)
			}
			if !reflect.DeepEqual(resp.Trailer, tt.trailer) {
				t.Errorf("trailer = %q, want %q", resp.Trailer, tt.trailer)
			}
			if body != tt.body || resp.ContentLength != tt.length || resp.Close != tt.close {
				t.Errorf("body %q, length %d, close %v; want %q, %d, %v", body, resp.ContentLength, resp.Close, tt.body, tt.length, tt.close)
			}
		})
	}
}

// A parse matches net/http's ReadResponse on the status, the head and the
// body framing.
func TestReadResponseMatchesNetHTTP(t *testing.T) {
	for _, raw := range []string{
		"HTTP/1.1 200 OK\r\nDate: Thu, 26 Nov 2026 11:00:00 GMT\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 2\r\n\r\nok",
		"HTTP/1.1 404 Not Found\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n",
		"HTTP/1.1 302 Found\r\nLocation: /next\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"HTTP/1.0 200 Fine\r\nConnection: Keep-Alive\r\nContent-Length: 3\r\n\r\nabc",
		"HTTP/1.1 500 Internal Server Error\r\nconnection: close\r\n\r\nboom",
	} {
		want, err := http.ReadResponse(bufio.NewReader(strings.NewReader(raw)), nil)
		if err != nil {
			t.Fatal(err)
		}
		wantBody, _ := io.ReadAll(want.Body)
		got, gotBody, err := parse(t, &headerCache{}, http.MethodGet, raw)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != want.Status || got.StatusCode != want.StatusCode || got.Proto != want.Proto ||
			got.ProtoMajor != want.ProtoMajor || got.ProtoMinor != want.ProtoMinor || got.ContentLength != want.ContentLength ||
			got.Close != want.Close || !reflect.DeepEqual(got.TransferEncoding, want.TransferEncoding) ||
			!reflect.DeepEqual(got.Header, want.Header) || gotBody != string(wantBody) {
			t.Errorf("%q:\n got %+v %q\nwant %+v %q", raw, got, gotBody, want, wantBody)
		}
	}
}

// The strings of a head like the last one on the connection are reused;
// a changed value is read anew.
func TestReadResponseReusesStrings(t *testing.T) {
	hc := &headerCache{}
	head := func(date string) string {
		return "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\nDate: " + date + "\r\nContent-Length: 0\r\n\r\n"
	}
	first, _, err := parse(t, hc, http.MethodGet, head("Thu, 26 Nov 2026 11:00:00 GMT"))
	if err != nil {
		t.Fatal(err)
	}
	second, _, err := parse(t, hc, http.MethodGet, head("Thu, 26 Nov 2026 11:00:01 GMT"))
	if err != nil {
		t.Fatal(err)
	}
	same := func(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }
	if !same(first.Header["Content-Type"][0], second.Header["Content-Type"][0]) || !same(first.Status, second.Status) {
		t.Error("an unchanged value was not reused")
	}
	if got := second.Header.Get("Date"); got != "Thu, 26 Nov 2026 11:00:01 GMT" {
		t.Errorf("Date = %q after a change", got)
	}
	if got := first.Header.Get("Date"); got != "Thu, 26 Nov 2026 11:00:00 GMT" {
		t.Errorf("the first response's Date changed to %q", got)
	}
	// A different head at the same positions.
	third, _, err := parse(t, hc, http.MethodGet, "HTTP/1.1 201 Created\r\nX-Other: v\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if third.Status != "201 Created" || !reflect.DeepEqual(third.Header, http.Header{"X-Other": {"v"}}) || third.ContentLength != -1 {
		t.Errorf("third response: %q %q %d", third.Status, third.Header, third.ContentLength)
	}
}

// A head equal to the connection's last one gets the last one's map
// (unchanged); every response of a sequence through one cache reads as it
// would through a fresh cache, including the earlier ones afterwards:
// heads that framing or Pragma change, HEAD after GET, a failed head, and
// a gzip response whose map the transport changes (ownHeader).
func TestReadResponseReusesHeaderMap(t *testing.T) {
	plain := "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nok"
	steps := []struct {
		method, raw string
		reuse       bool // the map of the step before
		gzip        bool // the transport decompresses: it deletes two headers
	}{
		{method: "GET", raw: plain},
		{method: "GET", raw: plain, reuse: true},
		{method: "HEAD", raw: plain, reuse: true},
		{method: "GET", raw: plain, reuse: true},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n2\r\nok\r\n0\r\n\r\n"},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 0\r\n\r\n"},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 0\r\n\r\n"},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n"},
		{method: "GET", raw: plain},
		{method: "GET", raw: plain, reuse: true},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nBad Line\r\n\r\n"},
		{method: "GET", raw: plain},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nzz"},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nzz", reuse: true, gzip: true},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nzz", gzip: true},
		{method: "GET", raw: "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\nzz"},
	}
	hc := &headerCache{}
	var got, want []http.Header
	var prev http.Header
	for i, st := range steps {
		resp, _, err := parse(t, hc, st.method, st.raw)
		fresh, _, ferr := parse(t, &headerCache{}, st.method, st.raw)
		if (err == nil) != (ferr == nil) {
			t.Fatalf("step %d: error %v, with a fresh cache %v", i, err, ferr)
		}
		if err != nil {
			prev = nil
			continue
		}
		if st.reuse != (prev != nil && reflect.ValueOf(resp.Header).UnsafePointer() == reflect.ValueOf(prev).UnsafePointer()) {
			t.Errorf("step %d: map of the step before reused: %v, want %v", i, !st.reuse, st.reuse)
		}
		prev = resp.Header
		if st.gzip {
			resp.Header = hc.ownHeader(resp.Header)
			resp.Header.Del("Content-Encoding")
			resp.Header.Del("Content-Length")
			fresh.Header.Del("Content-Encoding")
			fresh.Header.Del("Content-Length")
		}
		got, want = append(got, resp.Header), append(want, fresh.Header)
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("response %d: header %q, want %q", i, got[i], want[i])
		}
	}
}

// writeRequest writes the bytes Request.Write does.
func TestWriteRequestMatchesNetHTTP(t *testing.T) {
	mk := func(method, url, body string, edit func(*http.Request)) *http.Request {
		var r io.Reader
		if body != "" {
			r = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, url, r)
		if err != nil {
			t.Fatal(err)
		}
		if edit != nil {
			edit(req)
		}
		return req
	}
	reqs := map[string]func() *http.Request{
		"get": func() *http.Request { return mk("GET", "http://example.com", "", nil) },
		"get with query": func() *http.Request {
			return mk("GET", "http://example.com:8080/a%20b/c?x=1&y=%2F", "", func(r *http.Request) { r.Header.Set("User-Agent", "k6") })
		},
		"forced query": func() *http.Request { return mk("GET", "http://example.com/p?", "", nil) },
		"post body": func() *http.Request {
			return mk("POST", "http://example.com/form", "a=1&b=2", func(r *http.Request) {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				r.Header.Set("X-Trim", "  padded\t")
				r.Header.Add("X-Multi", "1")
				r.Header.Add("X-Multi", "2")
			})
		},
		"post without body": func() *http.Request { return mk("POST", "http://example.com/", "", nil) },
		"delete without body": func() *http.Request {
			return mk("DELETE", "http://example.com/x", "", nil)
		},
		"empty user agent and a host override": func() *http.Request {
			return mk("GET", "http://127.0.0.1:9/", "", func(r *http.Request) {
				r.Header.Set("User-Agent", "")
				r.Host = "virtual.example"
			})
		},
		"close": func() *http.Request {
			return mk("GET", "http://example.com/", "", func(r *http.Request) { r.Close = true })
		},
		"excluded headers": func() *http.Request {
			return mk("PUT", "http://example.com/", "xyz", func(r *http.Request) {
				r.Header.Set("Content-Length", "99")
				r.Header.Set("Transfer-Encoding", "chunked")
				r.Header.Set("Host", "ignored")
			})
		},
	}
	for name, newReq := range reqs {
		t.Run(name, func(t *testing.T) {
			var want bytes.Buffer
			if err := newReq().Write(&want); err != nil {
				t.Fatal(err)
			}
			req := newReq()
			if !fastWritable(req) {
				t.Fatal("not written by writeRequest")
			}
			var got bytes.Buffer
			w := bufio.NewWriter(&got)
			if err := writeRequest(w, req, false); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if got.String() != want.String() {
				t.Errorf("got\n%q\nwant\n%q", got.String(), want.String())
			}
		})
	}
}

func TestFastWritable(t *testing.T) {
	for _, tt := range []struct {
		url  string
		edit func(*http.Request)
		want bool
	}{
		{"http://example.com/", nil, true},
		{"http://bücher.example/", nil, false},
		{"http://[fe80::1%25eth0]:80/", nil, false},
		{"http://example.com/", func(r *http.Request) { r.URL.Opaque = "//other/x" }, false},
		{"http://example.com/", func(r *http.Request) { r.Body, r.ContentLength = io.NopCloser(strings.NewReader("x")), 0 }, false},
		{"http://example.com/", func(r *http.Request) { r.Host = "bad host" }, false},
	} {
		req, err := http.NewRequest("GET", tt.url, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tt.edit != nil {
			tt.edit(req)
		}
		if got := fastWritable(req); got != tt.want {
			t.Errorf("%s: fastWritable = %v, want %v", tt.url, got, tt.want)
		}
	}
}

func TestWriteRequestBodyLengthMismatch(t *testing.T) {
	req, _ := http.NewRequest("POST", "http://example.com/", strings.NewReader("abc"))
	req.ContentLength = 5
	w := bufio.NewWriter(io.Discard)
	if err := writeRequest(w, req, false); err == nil || !strings.Contains(err.Error(), "ContentLength=5 with Body length 3") {
		t.Errorf("error = %v", err)
	}
	req, _ = http.NewRequest("POST", "http://example.com/", strings.NewReader("abcdef"))
	req.ContentLength = 2
	if err := writeRequest(w, req, false); err == nil || !strings.Contains(err.Error(), "ContentLength=2 with Body length 3") {
		t.Errorf("error = %v", err)
	}
}
