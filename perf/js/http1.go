package js

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

// The HTTP/1.1 wire format of the direct path. Go's Request.Write and
// ReadResponse cost about 40 allocations and a fmt.Fprintf per request in
// the 64-VU profile; the writer below puts the request line and headers
// straight into the connection's buffer and the reader parses the response
// head from the connection's bufio.Reader, reusing per-connection strings
// (header names, repeated values, the status line) so that a keep-alive
// response like the last one costs a handful of allocations. Both follow
// net/http's rules (the error texts too), so that a response reads the
// same on either path; requests the writer does not handle (an opaque URL,
// a host needing IDNA or an IPv6 zone, a body of unknown length) go
// through Request.Write.

// maxResponseHeaderBytes bounds a response head, as http.Transport's
// default MaxResponseHeaderBytes does.
const maxResponseHeaderBytes = 10 << 20

// max1xxResponses is how many informational responses may precede the
// final one (http.Transport's limit).
const max1xxResponses = 5

// errHeaderTooLarge is the error of a response head over the limit.
var errHeaderTooLarge = fmt.Errorf("net/http: server response headers exceeded %d bytes; aborted", maxResponseHeaderBytes)

// reqWriteExclude are the headers the writer writes itself (or never).
func reqWriteExclude(k string) bool {
	switch k {
	case "Host", "User-Agent", "Content-Length", "Transfer-Encoding", "Trailer":
		return true
	}
	return false
}

// fastWritable reports whether writeRequest can write req; the others go
// through Request.Write.
func fastWritable(req *http.Request) bool {
	u := req.URL
	if u.Opaque != "" || req.Method == http.MethodConnect || len(req.TransferEncoding) > 0 || len(req.Trailer) > 0 {
		return false
	}
	if req.Body != nil && req.Body != http.NoBody && req.ContentLength <= 0 {
		return false // unknown length: chunked by Request.Write
	}
	host := req.Host
	if host == "" {
		host = u.Host
	}
	for i := 0; i < len(host); i++ {
		// Non-ASCII needs punycode, '%' is an IPv6 zone to strip.
		if c := host[i]; c >= 0x80 || c == '%' {
			return false
		}
	}
	return httpguts.ValidHostHeader(host)
}

// writeRequest writes req's head and body to w as Request.Write does: the
// request line, Host, User-Agent (Go's default unless the header sets it,
// possibly empty), Connection: close and Content-Length when they apply,
// the other headers sorted by name with their values trimmed, then gzip
// when the transport asks for it. The headers have been validated.
func writeRequest(w *bufio.Writer, req *http.Request, gzip bool) error {
	u := req.URL
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if stringContainsCTLByte(path) || stringContainsCTLByte(u.RawQuery) {
		return errors.New("net/http: can't write control character in Request.URL")
	}
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(path)
	if u.ForceQuery || u.RawQuery != "" {
		w.WriteByte('?')
		w.WriteString(u.RawQuery)
	}
	w.WriteString(" HTTP/1.1\r\nHost: ")
	host := req.Host
	if host == "" {
		host = u.Host
	}
	w.WriteString(host)
	w.WriteString("\r\n")
	ua := "Go-http-client/1.1"
	if v, ok := req.Header["User-Agent"]; ok {
		ua = ""
		if len(v) > 0 {
			ua = trimOWS(v[0])
		}
	}
	if ua != "" {
		writeHeaderLine(w, "User-Agent", ua)
	}
	if req.Close && !httpguts.HeaderValuesContainsToken(req.Header["Connection"], "close") {
		w.WriteString("Connection: close\r\n")
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	switch {
	case hasBody:
		writeHeaderLine(w, "Content-Length", strconv.FormatInt(req.ContentLength, 10))
	case req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		w.WriteString("Content-Length: 0\r\n")
	}
	var kbuf [24]string
	keys := kbuf[:0]
	for k := range req.Header {
		if !reqWriteExclude(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, v := range req.Header[k] {
			writeHeaderLine(w, k, trimOWS(v))
		}
	}
	if gzip {
		w.WriteString("Accept-Encoding: gzip\r\n")
	}
	_, err := w.WriteString("\r\n")
	if hasBody {
		err = writeBody(w, req)
	}
	return err
}

func writeHeaderLine(w *bufio.Writer, k, v string) {
	w.WriteString(k)
	w.WriteString(": ")
	w.WriteString(v)
	w.WriteString("\r\n")
}

// writeBody copies exactly ContentLength bytes of the body and closes it;
// a body of another length is an error, as in Request.Write.
func writeBody(w *bufio.Writer, req *http.Request) error {
	n, err := io.Copy(w, io.LimitReader(req.Body, req.ContentLength))
	if err == nil {
		var extra [1]byte
		var m int
		m, err = io.ReadFull(req.Body, extra[:])
		n += int64(m)
		if errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if cerr := req.Body.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != req.ContentLength {
		err = fmt.Errorf("http: ContentLength=%d with Body length %d", req.ContentLength, n)
	}
	return err
}

func stringContainsCTLByte(s string) bool {
	for i := 0; i < len(s); i++ {
		if b := s[i]; b < ' ' || b == 0x7f {
			return true
		}
	}
	return false
}

// trimOWS trims spaces and tabs, as textproto.TrimString does.
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func trimOWSBytes(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// commonHeaderKeys interns the canonical names of frequent response
// headers (textproto has its own list, but no way to look bytes up in it).
var commonHeaderKeys = func() map[string]string {
	m := make(map[string]string)
	for _, k := range []string{
		"Accept-Ranges", "Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
		"Access-Control-Allow-Methods", "Access-Control-Allow-Origin", "Access-Control-Expose-Headers",
		"Age", "Allow", "Alt-Svc", "Cache-Control", "Connection", "Content-Disposition",
		"Content-Encoding", "Content-Language", "Content-Length", "Content-Location",
		"Content-Security-Policy", "Content-Type", "Date", "Etag", "Expires", "Keep-Alive",
		"Last-Modified", "Link", "Location", "Pragma", "Referrer-Policy", "Retry-After", "Server",
		"Set-Cookie", "Strict-Transport-Security", "Trailer", "Transfer-Encoding", "Vary", "Via",
		"Www-Authenticate", "X-Content-Type-Options", "X-Frame-Options", "X-Powered-By",
		"X-Request-Id", "X-Xss-Protection",
	} {
		m[k] = k
	}
	return m
}()

// headerCache holds what a connection's responses tend to repeat: a
// server sends much the same head every time, so each header line is
// compared with the line at the same position in the last head, and its
// name and value strings are reused when they match.
type headerCache struct {
	prev   []headerLine // the last head's lines, by position
	status string       // the last status text ("200 OK")
	pairs  []headerPair // scratch for one head
	line   []byte       // scratch for lines longer than the buffer
	fold   []byte       // scratch for a header line and its continuations
	// header is the last head's map when nothing changed it after it was
	// built (see keepHeader): a head whose lines all equal the last one's
	// gets the same map, which saves building it (a few percent of the
	// CPU time per request). Responses sharing a map cannot tell: their
	// heads are equal, and nothing changes a shared map (see ownHeader).
	header http.Header
	// shared says that header went to more than one response.
	shared bool
}

// keepHeader keeps h, the map readHeader just returned, for the next
// head, unless the response's processing changed it (framing deletes
// Transfer-Encoding or Content-Length, Pragma adds Cache-Control): its
// number of keys must still be its number of lines, no name repeated.
func (hc *headerCache) keepHeader(h http.Header) {
	if hc.header != nil && len(h) == len(hc.pairs) {
		return // the kept map itself, unchanged
	}
	hc.header, hc.shared = nil, false
	if len(h) != len(hc.pairs) || len(hc.pairs) > len(hc.prev) {
		return
	}
	for _, vv := range h {
		if len(vv) != 1 {
			return
		}
	}
	hc.header = h
}

// ownHeader returns h, the map of the response just read, for the caller
// to change: a copy when earlier responses hold it too. The cache
// forgets it either way.
func (hc *headerCache) ownHeader(h http.Header) http.Header {
	if hc.header == nil {
		return h
	}
	shared := hc.shared
	hc.header, hc.shared = nil, false
	if shared {
		return h.Clone()
	}
	return h
}

// headerLine is a header line as received (raw name), with its canonical
// name and its value.
type headerLine struct{ raw, key, val string }

type headerPair struct{ k, v string }

// maxCachedHeaders bounds headerCache.prev.
const maxCachedHeaders = 64

// headReader reads one response head with a byte budget.
type headReader struct {
	br     *bufio.Reader
	hc     *headerCache
	budget int
}

// readLine returns the next line without its line ending. The slice is
// valid until the next read from br (or, for long lines, into hc.line).
func (r *headReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// Longer than the buffer: gather it in the scratch slice.
		r.hc.line = append(r.hc.line[:0], line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if len(r.hc.line) > r.budget {
				return nil, errHeaderTooLarge
			}
			line, err = r.br.ReadSlice('\n')
			r.hc.line = append(r.hc.line, line...)
		}
		line = r.hc.line
	}
	r.budget -= len(line)
	if r.budget < 0 {
		return nil, errHeaderTooLarge
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readResponse reads a response head for req from br into resp, as
// ReadResponse does, and sets up the body framing on body (which becomes
// resp.Body).
func readResponse(br *bufio.Reader, hc *headerCache, req *http.Request, resp *http.Response, body *directBody) (*http.Response, error) {
	r := headReader{br: br, hc: hc, budget: maxResponseHeaderBytes}
	*resp = http.Response{Request: req}
	line, err := r.readLine()
	if err != nil {
		return nil, err
	}
	proto, status, ok := bytes.Cut(line, []byte(" "))
	if !ok {
		return nil, fmt.Errorf("malformed HTTP response %q", line)
	}
	status = bytes.TrimLeft(status, " ")
	code, _, _ := bytes.Cut(status, []byte(" "))
	if len(code) != 3 || !isDigit(code[0]) || !isDigit(code[1]) || !isDigit(code[2]) {
		return nil, fmt.Errorf("malformed HTTP status code %q", code)
	}
	resp.StatusCode = int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	switch string(proto) {
	case "HTTP/1.1":
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.1", 1, 1
	case "HTTP/1.0":
		resp.Proto, resp.ProtoMajor, resp.ProtoMinor = "HTTP/1.0", 1, 0
	default:
		resp.Proto = string(proto)
		if resp.ProtoMajor, resp.ProtoMinor, ok = http.ParseHTTPVersion(resp.Proto); !ok {
			return nil, fmt.Errorf("malformed HTTP version %q", resp.Proto)
		}
	}
	if hc.status != string(status) {
		hc.status = string(status)
	}
	resp.Status = hc.status

	if resp.Header, err = r.readHeader(); err != nil {
		// The lines kept for comparison may be this head's in part now.
		hc.header, hc.shared = nil, false
		return nil, err
	}
	if hp := resp.Header["Pragma"]; len(hp) > 0 && hp[0] == "no-cache" {
		if _, ok := resp.Header["Cache-Control"]; !ok {
			resp.Header["Cache-Control"] = []string{"no-cache"}
		}
	}
	if err := frame(resp, req.Method, body); err != nil {
		hc.header, hc.shared = nil, false
		return nil, err
	}
	hc.keepHeader(resp.Header)
	return resp, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// readHeader reads header lines up to the empty line, as
// textproto.ReadMIMEHeader does: obsolete line folding joins with a space,
// a name with bytes outside the token set (other than spaces, kept as
// they are) or a value with control characters is an error.
func (r *headReader) readHeader() (http.Header, error) {
	hc := r.hc
	hc.pairs = hc.pairs[:0]
	changed := false
	if b, err := r.br.Peek(1); err == nil && (b[0] == ' ' || b[0] == '\t') {
		line, _ := r.readLine()
		return nil, fmt.Errorf("malformed MIME header initial line: %q", line)
	}
	for {
		line, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		if bytes.IndexByte(line, ':') < 0 {
			return nil, fmt.Errorf("malformed MIME header: missing colon: %q", line)
		}
		line = trimOWSBytes(line)
		// A line starting with a space or tab continues this one. Peeking
		// at an empty buffer refills it under line: copy line first then.
		fold := r.br.Buffered() == 0
		if !fold {
			next, _ := r.br.Peek(1)
			fold = next[0] == ' ' || next[0] == '\t'
		}
		if fold {
			hc.fold = append(hc.fold[:0], line...)
			for {
				next, err := r.br.Peek(1)
				if err != nil || (next[0] != ' ' && next[0] != '\t') {
					break
				}
				cont, err := r.readLine()
				if err != nil {
					return nil, err
				}
				hc.fold = append(hc.fold, ' ')
				hc.fold = append(hc.fold, trimOWSBytes(cont)...)
			}
			line = hc.fold
		}
		k, v, _ := bytes.Cut(line, []byte(":"))
		v = trimOWSBytes(v)
		i := len(hc.pairs)
		var hl headerLine
		if i < len(hc.prev) {
			hl = hc.prev[i]
		}
		if i >= len(hc.prev) || hl.raw == "" || hl.raw != string(k) {
			changed = true
		}
		if hl.raw == "" || hl.raw != string(k) {
			key, ok := canonicalKey(k)
			if !ok {
				return nil, fmt.Errorf("malformed MIME header line: %q", line)
			}
			hl = headerLine{raw: key, key: key}
			if key != string(k) {
				hl.raw = string(k)
			}
		}
		if hl.val != string(v) || hl.val == "" {
			changed = true
			for _, c := range v {
				if (c < ' ' && c != '\t') || c == 0x7f {
					return nil, fmt.Errorf("malformed MIME header line: %q", line)
				}
			}
			hl.val = string(v)
		}
		switch {
		case i < len(hc.prev):
			hc.prev[i] = hl
		case i < maxCachedHeaders:
			hc.prev = append(hc.prev, hl)
		}
		hc.pairs = append(hc.pairs, headerPair{hl.key, hl.val})
	}
	if len(hc.pairs) < len(hc.prev) {
		hc.prev = hc.prev[:len(hc.pairs)]
		changed = true
	}
	if !changed && hc.header != nil {
		hc.shared = true
		return hc.header, nil
	}
	hc.header, hc.shared = nil, false
	h := make(http.Header, len(hc.pairs))
	vals := make([]string, len(hc.pairs))
	for i, p := range hc.pairs {
		if vv, ok := h[p.k]; ok {
			h[p.k] = append(vv, p.v)
			continue
		}
		vals[i] = p.v
		h[p.k] = vals[i : i+1 : i+1]
	}
	return h, nil
}

// canonicalKey canonicalizes a header name as textproto does; a name with
// a space is kept as it is, an empty one or one with other bytes outside
// the token set is refused.
func canonicalKey(k []byte) (string, bool) {
	if len(k) == 0 {
		return "", false
	}
	space := false
	for _, c := range k {
		if c == ' ' {
			space = true
			continue
		}
		if c >= 0x80 || !httpguts.IsTokenRune(rune(c)) {
			return "", false
		}
	}
	if space {
		return string(k), true
	}
	var buf [64]byte
	var b []byte
	if len(k) <= len(buf) {
		b = buf[:len(k)]
	} else {
		b = make([]byte, len(k))
	}
	upper := true
	for i, c := range k {
		if upper && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		} else if !upper && 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
		upper = c == '-'
	}
	if key, ok := commonHeaderKeys[string(b)]; ok {
		return key, true
	}
	return string(b), true
}

// frame decides how the body of resp is delimited, with net/http's rules
// (readTransfer): Transfer-Encoding chunked (HTTP/1.1 only, the only one
// accepted), else Content-Length (duplicates must agree), else until the
// connection closes; no body after HEAD or with 1xx, 204 and 304.
func frame(resp *http.Response, method string, body *directBody) error {
	h := resp.Header
	resp.Close = shouldClose(resp.ProtoMajor, resp.ProtoMinor, h)
	chunked := false
	if te, ok := h["Transfer-Encoding"]; ok {
		delete(h, "Transfer-Encoding")
		if resp.ProtoAtLeast(1, 1) {
			if len(te) != 1 {
				return fmt.Errorf("too many transfer encodings: %q", te)
			}
			if !strings.EqualFold(te[0], "chunked") {
				return fmt.Errorf("unsupported transfer encoding: %q", te[0])
			}
			chunked = true
		}
	}
	cls := h["Content-Length"]
	if len(cls) > 1 {
		first := trimOWS(cls[0])
		for _, cl := range cls[1:] {
			if trimOWS(cl) != first {
				return fmt.Errorf("http: message cannot contain multiple Content-Length headers; got %q", cls)
			}
		}
		cls = []string{first}
		h["Content-Length"] = cls
	}
	n := int64(-1)
	if len(cls) > 0 {
		cl := trimOWS(cls[0])
		if cl == "" {
			return errors.New(`invalid empty Content-Length ""`)
		}
		v, err := strconv.ParseUint(cl, 10, 63)
		if err != nil {
			return fmt.Errorf("bad Content-Length %q", cl)
		}
		n = int64(v)
	}
	noBody := method == http.MethodHead || !bodyAllowedForStatus(resp.StatusCode)
	switch {
	case noBody:
		resp.ContentLength = 0
		if method == http.MethodHead {
			resp.ContentLength = n
		}
		if chunked {
			resp.TransferEncoding = []string{"chunked"}
		}
	case chunked:
		delete(h, "Content-Length")
		resp.ContentLength = -1
		resp.TransferEncoding = []string{"chunked"}
	case n >= 0:
		resp.ContentLength = n
	default:
		delete(h, "Content-Length")
		resp.ContentLength = -1
		resp.Close = true // the body ends when the connection does
	}
	if vv, ok := h["Trailer"]; ok && chunked {
		delete(h, "Trailer")
		resp.Trailer = make(http.Header)
		for _, v := range vv {
			for _, k := range strings.Split(v, ",") {
				if k = http.CanonicalHeaderKey(trimOWS(k)); k == "" {
					continue
				}
				switch k {
				case "Transfer-Encoding", "Trailer", "Content-Length":
					return fmt.Errorf("bad trailer key %q", k)
				}
				resp.Trailer[k] = nil
			}
		}
	}
	body.resp = resp
	switch {
	case noBody || (!chunked && n == 0):
		body.kind = bodyNone
	case chunked:
		body.kind = bodyChunked
		body.chunks = httputil.NewChunkedReader(body.c.br)
	case n > 0:
		body.kind = bodyLength
		body.remain = n
	default:
		body.kind = bodyUntilClose
	}
	resp.Body = body
	return nil
}

// shouldClose is net/http's rule: HTTP/1.0 closes unless the server says
// keep-alive, HTTP/1.1 when it says close (and that header is dropped).
func shouldClose(major, minor int, h http.Header) bool {
	if major < 1 {
		return true
	}
	conn := h["Connection"]
	hasClose := httpguts.HeaderValuesContainsToken(conn, "close")
	if major == 1 && minor == 0 {
		return hasClose || !httpguts.HeaderValuesContainsToken(conn, "keep-alive")
	}
	if hasClose {
		delete(h, "Connection")
	}
	return hasClose
}

func bodyAllowedForStatus(status int) bool {
	return (status < 100 || status > 199) && status != http.StatusNoContent && status != http.StatusNotModified
}

// readTrailer reads the trailer after the last chunk into resp.Trailer.
func readTrailer(br *bufio.Reader, resp *http.Response) error {
	if b, err := br.Peek(2); err == nil && b[0] == '\r' && b[1] == '\n' {
		br.Discard(2) //nolint:errcheck // peeked
		return nil
	}
	// The trailer gets its own cache: it must not replace the head's.
	r := headReader{br: br, hc: &headerCache{}, budget: br.Size()}
	h, err := r.readHeader()
	if err != nil {
		if errors.Is(err, errHeaderTooLarge) {
			return errors.New("http: suspiciously long trailer after chunked body")
		}
		return err
	}
	if resp.Trailer == nil {
		resp.Trailer = h
		return nil
	}
	for k, vv := range h {
		resp.Trailer[k] = vv
	}
	return nil
}
