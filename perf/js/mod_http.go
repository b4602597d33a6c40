package js

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/dop251/goja"

	"github.com/gocli/gocli/perf/metrics"
)

// DefaultUserAgent is sent unless options.userAgent says otherwise.
const DefaultUserAgent = "gocli-perf/1 (k6-compatible)"

type expectedStatuses struct {
	ranges [][2]int
}

func (e *expectedStatuses) match(status int) bool {
	for _, r := range e.ranges {
		if status >= r[0] && status <= r[1] {
			return true
		}
	}
	return false
}

var defaultExpected = &expectedStatuses{ranges: [][2]int{{200, 399}}}

type reqSpec struct {
	method       string
	url          string
	body         []byte
	hasBody      bool
	contentType  string
	headers      map[string]string
	tags         map[string]string
	timeout      time.Duration
	redirects    int
	responseType string
	cb           *expectedStatuses
	cbSet        bool
	cookies      map[string]string
}

type timings struct {
	blocked, connecting, tls, sending, waiting, receiving, duration time.Duration
}

type respData struct {
	status     int
	statusText string
	proto      string
	headers    http.Header
	body       []byte
	url        string
	err        error
	errCode    int
	t          timings
	remoteAddr net.Addr
	start      time.Time
}

func (vu *VU) httpModule() map[string]any {
	withBody := func(method string) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			return vu.request(method, c.Argument(0), c.Argument(1), c.Argument(2))
		}
	}
	noBody := func(method string) func(goja.FunctionCall) goja.Value {
		return func(c goja.FunctionCall) goja.Value {
			return vu.request(method, c.Argument(0), goja.Undefined(), c.Argument(1))
		}
	}
	return map[string]any{
		"get":     noBody(http.MethodGet),
		"head":    noBody(http.MethodHead),
		"post":    withBody(http.MethodPost),
		"put":     withBody(http.MethodPut),
		"patch":   withBody(http.MethodPatch),
		"del":     withBody(http.MethodDelete),
		"options": withBody(http.MethodOptions),
		"request": func(c goja.FunctionCall) goja.Value {
			return vu.request(strings.ToUpper(c.Argument(0).String()), c.Argument(1), c.Argument(2), c.Argument(3))
		},
		"batch":            vu.batch,
		"expectedStatuses": vu.expectedStatuses,
		"setResponseCallback": func(v goja.Value) {
			vu.respCallback = vu.toCallback(v)
		},
	}
}

func (vu *VU) expectedStatuses(c goja.FunctionCall) goja.Value {
	e := &expectedStatuses{}
	for _, a := range c.Arguments {
		if o, ok := a.(*goja.Object); ok && o.ClassName() == "Object" {
			lo, hi := o.Get("min"), o.Get("max")
			if lo == nil || hi == nil {
				vu.typeError("expectedStatuses: ranges are {min, max}")
			}
			e.ranges = append(e.ranges, [2]int{int(lo.ToInteger()), int(hi.ToInteger())})
			continue
		}
		s := int(a.ToInteger())
		e.ranges = append(e.ranges, [2]int{s, s})
	}
	return vu.rt.ToValue(e)
}

func (vu *VU) toCallback(v goja.Value) *expectedStatuses {
	if v == nil || goja.IsNull(v) || goja.IsUndefined(v) {
		return nil
	}
	e, ok := v.Export().(*expectedStatuses)
	if !ok {
		vu.typeError("responseCallback must come from http.expectedStatuses()")
	}
	return e
}

// parseRequest turns JavaScript arguments into a request.
func (vu *VU) parseRequest(method string, u, body, params goja.Value) *reqSpec {
	r := &reqSpec{}
	vu.parseRequestInto(r, method, u, body, params)
	return r
}

// parseRequestInto is parseRequest into r.
func (vu *VU) parseRequestInto(r *reqSpec, method string, u, body, params goja.Value) {
	if vu.inInit {
		vu.throw("HTTP requests can only be made from a VU function, not the init context")
	}
	*r = reqSpec{method: method, url: u.String(), redirects: -1, responseType: "text"}
	if vu.env.HTTP.DiscardBodies {
		r.responseType = "none"
	}
	if body != nil && !goja.IsUndefined(body) && !goja.IsNull(body) {
		r.hasBody = true
		switch b := body.Export().(type) {
		case string:
			r.body = []byte(b)
		case goja.ArrayBuffer:
			r.body = b.Bytes()
		case []byte:
			r.body = b
		case map[string]any:
			form := url.Values{}
			for k, v := range b {
				form.Set(k, fmt.Sprint(v))
			}
			r.body = []byte(form.Encode())
			r.contentType = "application/x-www-form-urlencoded"
		default:
			r.body = []byte(body.String())
		}
	}
	if o, ok := params.(*goja.Object); ok && !goja.IsNull(params) {
		for _, k := range o.Keys() {
			v := o.Get(k)
			switch k {
			case "headers":
				r.headers = vu.tagsFromJS(v.ToObject(vu.rt))
			case "tags":
				r.tags = vu.tagsFromJS(v.ToObject(vu.rt))
			case "timeout":
				if s, ok := v.Export().(string); ok {
					d, err := metrics.ParseDuration(s)
					if err != nil {
						vu.typeError("timeout: %v", err)
					}
					r.timeout = d
				} else {
					r.timeout = time.Duration(v.ToFloat() * float64(time.Millisecond))
				}
			case "redirects":
				r.redirects = int(v.ToInteger())
			case "responseType":
				r.responseType = v.String()
				if r.responseType != "text" && r.responseType != "binary" && r.responseType != "none" {
					vu.typeError("responseType must be text, binary or none, not %q", r.responseType)
				}
			case "responseCallback":
				r.cb, r.cbSet = vu.toCallback(v), true
			case "cookies":
				r.cookies = map[string]string{}
				co := v.ToObject(vu.rt)
				for _, name := range co.Keys() {
					cv := co.Get(name)
					if cobj, ok := cv.(*goja.Object); ok && cobj.Get("value") != nil {
						cv = cobj.Get("value")
					}
					r.cookies[name] = cv.String()
				}
			case "auth":
				if v.String() != "basic" {
					vu.typeError("auth %q is not supported by gocli (only basic, with credentials in the URL)", v.String())
				}
			default:
				vu.typeError("k6/http: request parameter %q is not supported by gocli", k)
			}
		}
	}
}

// exchange is one request of a VU with its result and the JavaScript
// response object, allocated together.
type exchange struct {
	spec reqSpec
	res  respData
	js   jsResponse
}

func (vu *VU) request(method string, u, body, params goja.Value) goja.Value {
	x := &exchange{}
	r, resp := &x.spec, &x.res
	vu.parseRequestInto(r, method, u, body, params)
	sent, recv := vu.bytesWritten.Load(), vu.bytesRead.Load()
	vu.do(vu.ctx, r, vu.trace, resp)
	vu.record(r, resp)
	vu.recordData(sent, recv)
	if errors.Is(resp.err, context.Canceled) && vu.ctx.Err() != nil {
		panic(vu.rt.NewGoError(ErrInterrupted))
	}
	x.js = jsResponse{vu: vu, req: r, res: resp}
	return vu.rt.NewDynamicObject(&x.js)
}

// batch runs several requests in parallel (at most options.batch at once)
// and returns their responses in the same shape as the argument.
func (vu *VU) batch(reqs goja.Value) goja.Value {
	obj, ok := reqs.(*goja.Object)
	if !ok {
		vu.typeError("http.batch() needs an array or object of requests")
	}
	keys := obj.Keys()
	isArray := obj.ClassName() == "Array"
	specs := make([]*reqSpec, len(keys))
	for i, k := range keys {
		item := obj.Get(k)
		switch it := item.Export().(type) {
		case string:
			specs[i] = vu.parseRequest(http.MethodGet, item, goja.Undefined(), goja.Undefined())
		case []any:
			a := item.ToObject(vu.rt)
			if len(it) < 2 {
				vu.typeError("http.batch(): a request array is [method, url, body, params]")
			}
			specs[i] = vu.parseRequest(strings.ToUpper(a.Get("0").String()), a.Get("1"), a.Get("2"), a.Get("3"))
		default:
			o := item.ToObject(vu.rt)
			m := o.Get("method")
			method := http.MethodGet
			if m != nil && !goja.IsUndefined(m) {
				method = strings.ToUpper(m.String())
			}
			specs[i] = vu.parseRequest(method, o.Get("url"), o.Get("body"), o.Get("params"))
		}
	}
	limit := vu.env.HTTP.Batch
	if limit <= 0 {
		limit = 20
	}
	sent, recv := vu.bytesWritten.Load(), vu.bytesRead.Load()
	out := make([]*respData, len(specs))
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i, r := range specs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			out[i] = &respData{}
			vu.do(vu.ctx, r, nil, out[i])
		}()
	}
	wg.Wait()
	vu.recordData(sent, recv)
	var res *goja.Object
	if isArray {
		res = vu.rt.NewArray()
	} else {
		res = vu.rt.NewObject()
	}
	for i, k := range keys {
		vu.record(specs[i], out[i])
		_ = res.Set(k, vu.toJS(specs[i], out[i]))
	}
	if vu.ctx.Err() != nil {
		panic(vu.rt.NewGoError(ErrInterrupted))
	}
	return res
}

func (vu *VU) recordData(sent, recv int64) {
	tags := vu.tags(nil)
	if d := vu.bytesWritten.Load() - sent; d > 0 {
		vu.add(vu.m.dataSent, tags, float64(d))
	}
	if d := vu.bytesRead.Load() - recv; d > 0 {
		vu.add(vu.m.dataReceived, tags, float64(d))
	}
}

// do performs the request and puts the result in res. It does not touch
// the JavaScript runtime, so batch can run it on several goroutines.
func (vu *VU) do(ctx context.Context, r *reqSpec, tr *reqTrace, res *respData) {
	*res = respData{url: r.url, start: time.Now()}
	var bodyReader io.Reader
	if r.hasBody {
		bodyReader = bytes.NewReader(r.body)
	}
	timeout := r.timeout
	if timeout <= 0 {
		timeout = vu.env.HTTP.Timeout
	}
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	// The VU's own trace means a request of the VU's goroutine; batch
	// requests (nil) run on goroutines of their own.
	sequential := tr != nil
	if tr == nil {
		tr = newReqTrace()
	}
	tr.reset()
	tr.scope.deadline = coarseDeadline(res.start, timeout)
	var req *http.Request
	var err error
	if sequential {
		req, err = vu.urls.newRequest(tr.context(ctx), r.method, r.url, bodyReader)
	} else {
		req, err = http.NewRequestWithContext(tr.context(ctx), r.method, r.url, bodyReader)
	}
	if err != nil {
		res.err, res.errCode = err, 1020
		return
	}
	for k, v := range vu.env.HTTP.Headers {
		req.Header.Set(k, v)
	}
	ua := vu.env.HTTP.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	// One slice for every request (len == cap, so an append copies it);
	// batch requests, on goroutines of their own, get a slice each.
	if !sequential {
		req.Header["User-Agent"] = []string{ua}
	} else {
		if len(vu.userAgent) == 0 || vu.userAgent[0] != ua {
			vu.userAgent = []string{ua}
		}
		req.Header["User-Agent"] = vu.userAgent
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	for k, v := range r.headers {
		if strings.EqualFold(k, "host") {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	for k, v := range r.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	resp, err := vu.send(req, vu.maxRedirects(r))
	if err == nil {
		res.status = resp.StatusCode
		res.statusText = resp.Status
		res.proto = resp.Proto
		res.headers = resp.Header
		res.url = vu.urls.String(resp.Request.URL)
		if r.responseType == "none" {
			_, err = io.Copy(io.Discard, resp.Body)
		} else {
			res.body, err = readBody(resp)
		}
		resp.Body.Close()
	}
	end := time.Now()
	if err != nil {
		res.err = err
		res.errCode = errorCode(err)
	}
	tr.mu.Lock()
	defer tr.mu.Unlock()
	res.remoteAddr = tr.remote
	// Phases as k6 defines them; missing events (errors, reused
	// connections) leave their phase at zero.
	t := &res.t
	if !tr.getConn.IsZero() {
		switch {
		case !tr.dnsStart.IsZero():
			t.blocked = tr.dnsStart.Sub(tr.getConn)
		case !tr.connStart.IsZero():
			t.blocked = tr.connStart.Sub(tr.getConn)
		case !tr.gotConn.IsZero():
			t.blocked = tr.gotConn.Sub(tr.getConn)
		}
	}
	if !tr.connStart.IsZero() && !tr.connDone.IsZero() {
		t.connecting = tr.connDone.Sub(tr.connStart)
	}
	if !tr.tlsStart.IsZero() && !tr.tlsDone.IsZero() {
		t.tls = tr.tlsDone.Sub(tr.tlsStart)
	}
	if !tr.gotConn.IsZero() && !tr.wrote.IsZero() {
		t.sending = tr.wrote.Sub(tr.gotConn)
	}
	if !tr.wrote.IsZero() && !tr.firstByte.IsZero() {
		t.waiting = tr.firstByte.Sub(tr.wrote)
	}
	if !tr.firstByte.IsZero() {
		t.receiving = end.Sub(tr.firstByte)
	}
	t.duration = t.sending + t.waiting + t.receiving
}

// coarseDeadline is start+timeout rounded up to a 64th of the timeout
// (at most a second): the transport sets a connection's deadline only
// when it changes, and setting it for every request moved a runtime timer
// every time. A request never times out early, and late by 1.6% at most.
// The result keeps the monotonic clock reading.
func coarseDeadline(start time.Time, timeout time.Duration) time.Time {
	d := start.Add(timeout)
	step := int64(min(timeout/64, time.Second))
	if step <= 1 {
		return d
	}
	return d.Add(time.Duration((step - d.UnixNano()%step) % step))
}

// readBody is io.ReadAll with a first buffer of the body's announced
// length (io.ReadAll starts at 512 bytes and grows), up to 64 KiB.
func readBody(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n < 0 {
		return io.ReadAll(resp.Body)
	}
	b := make([]byte, 0, min(n, 1<<16)+1) // +1: room for the read that sees the end
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		m, err := resp.Body.Read(b[len(b):cap(b)])
		b = b[:len(b)+m]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}

// urlCache keeps the parsed form and the string of the URLs a VU
// requests: a script requests the same few URLs over and over, and
// parsing each one and formatting it back for response.url were a
// measurable cost. Only the VU's goroutine uses it; requests share the
// parsed URL, which neither the client nor the transports modify.
type urlCache struct {
	byRaw map[string]*url.URL
	str   map[*url.URL]string
	// tmpl is a request without a body made with tmplCtx: a new request
	// with the same context and a cached URL is a copy of it (the context
	// is an unexported field), which skips NewRequestWithContext's URL
	// parsing and checks (a few percent of the CPU time per request).
	tmpl    *http.Request
	tmplCtx context.Context
}

// maxCachedURLs bounds a urlCache: scripts with ever new URLs (ids in
// the path) start it over.
const maxCachedURLs = 256

// newRequest is http.NewRequestWithContext with the URL parsed once.
func (c *urlCache) newRequest(ctx context.Context, method, rawURL string, body io.Reader) (*http.Request, error) {
	if u, ok := c.byRaw[rawURL]; ok {
		if body == nil && standardMethod(method) {
			if c.tmpl == nil || c.tmplCtx != ctx {
				tmpl, err := http.NewRequestWithContext(ctx, http.MethodGet, "", nil)
				if err != nil {
					return nil, err
				}
				c.tmpl, c.tmplCtx = tmpl, ctx
			}
			req := new(http.Request)
			*req = *c.tmpl
			req.Method, req.URL, req.Host, req.Header = method, u, u.Host, make(http.Header)
			return req, nil
		}
		// The empty URL parses at almost no cost; the cached one
		// replaces it, with the Host that NewRequest would derive.
		req, err := http.NewRequestWithContext(ctx, method, "", body)
		if err != nil {
			return nil, err
		}
		req.URL, req.Host = u, u.Host
		return req, nil
	}
	req, err := http.NewRequestWithContext(ctx, method, rawURL, body)
	if err != nil {
		return nil, err
	}
	if c.byRaw == nil || len(c.byRaw) >= maxCachedURLs {
		c.byRaw = make(map[string]*url.URL)
		c.str = make(map[*url.URL]string)
	}
	c.byRaw[rawURL] = req.URL
	c.str[req.URL] = req.URL.String()
	return req, nil
}

// standardMethod reports whether method is one of the methods k6/http
// sends by name, which NewRequestWithContext accepts.
func standardMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return true
	}
	return false
}

// String returns u.String(), kept for the cached URLs. It only reads the
// cache, so batch requests may call it side by side.
func (c *urlCache) String(u *url.URL) string {
	if s, ok := c.str[u]; ok {
		return s
	}
	return u.String()
}

func (vu *VU) maxRedirects(r *reqSpec) int {
	if r.redirects >= 0 {
		return r.redirects
	}
	return vu.env.HTTP.MaxRedirects
}

// errorCode maps Go errors to k6's error codes for the error_code tag.
func errorCode(err error) int {
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || os.IsTimeout(err):
		return 1050
	case errors.As(err, &dnsErr):
		return 1101
	case errors.Is(err, syscall.ECONNREFUSED):
		return 1212
	case errors.Is(err, syscall.ECONNRESET):
		return 1220
	case errors.As(err, &uaErr):
		return 1311
	case errors.As(err, &hostErr):
		return 1320
	case errors.As(err, &certErr):
		return 1300
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return 1000
	}
	return 1000
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// reqTagKey identifies the tag set of a request without custom tags.
type reqTagKey struct {
	scenario, group, method, url, expected string
	status, errCode                        int
}

func (vu *VU) record(r *reqSpec, res *respData) {
	cb := vu.respCallback
	if cb == nil {
		cb = defaultExpected
	}
	if r.cbSet {
		cb = r.cb
	}
	expected := ""
	if cb != nil {
		expected = strconv.FormatBool(res.err == nil && cb.match(res.status))
	}
	var tags *metrics.TagSet
	// Requests without custom tags reuse cached tag sets: building one
	// (a map and a sort) per request is a measurable part of the cost.
	key := reqTagKey{vu.scenario, vu.group, r.method, r.url, expected, res.status, res.errCode}
	cached := len(r.tags) == 0
	if cached {
		tags = vu.reqTagCache[key]
	}
	if tags == nil {
		m := map[string]string{"method": r.method, "status": strconv.Itoa(res.status), "name": r.url}
		if expected != "" {
			m["expected_response"] = expected
		}
		if res.errCode != 0 {
			m["error_code"] = strconv.Itoa(res.errCode)
		}
		for k, v := range r.tags {
			m[k] = v
		}
		tags = vu.tags(m)
		if cached {
			if len(vu.reqTagCache) > 1000 {
				clear(vu.reqTagCache) // unbounded URLs must not grow it forever
			}
			vu.reqTagCache[key] = tags
		}
	}
	vu.add(vu.m.reqs, tags, 1)
	vu.add(vu.m.duration, tags, ms(res.t.duration))
	vu.add(vu.m.blocked, tags, ms(res.t.blocked))
	vu.add(vu.m.connecting, tags, ms(res.t.connecting))
	vu.add(vu.m.tls, tags, ms(res.t.tls))
	vu.add(vu.m.sending, tags, ms(res.t.sending))
	vu.add(vu.m.waiting, tags, ms(res.t.waiting))
	vu.add(vu.m.receiving, tags, ms(res.t.receiving))
	if expected != "" {
		f := 0.0
		if expected == "false" {
			f = 1
		}
		vu.add(vu.m.failed, tags, f)
	}
	vu.maybeFlush()
	if res.err != nil && !errors.Is(res.err, context.Canceled) {
		vu.env.log(LogEntry{Level: "warn", VU: vu.ID, Msg: fmt.Sprintf("Request Failed: %s %s: %v", r.method, r.url, res.err)})
	}
}

// selectPath follows a dotted path ("data.items.0.id") into a parsed JSON
// value; it covers the common use of k6's json(selector).
func selectPath(rt *goja.Runtime, v goja.Value, path string) goja.Value {
	for _, part := range strings.Split(path, ".") {
		o, ok := v.(*goja.Object)
		if !ok || part == "" {
			return goja.Undefined()
		}
		v = o.Get(part)
		if v == nil {
			return goja.Undefined()
		}
	}
	return v
}

// reqTrace records the httptrace events of one request. A VU reuses one
// for its sequential requests (building the callbacks costs allocations on
// every request otherwise); batch requests get their own. Callbacks of a
// dial may run on the transport's goroutines even after the request has
// finished (a dial that lost the race to an idle connection), so the
// fields are guarded.
type reqTrace struct {
	mu                                                                                   sync.Mutex
	getConn, dnsStart, connStart, connDone, tlsStart, tlsDone, gotConn, wrote, firstByte time.Time
	remote                                                                               net.Addr
	ct                                                                                   *httptrace.ClientTrace

	// scope is the current request's deadline, read by the transport
	// through ctx; ctx (the trace and the scope on parent) is rebuilt only
	// when the parent context changes.
	scope  requestScope
	parent context.Context
	ctx    context.Context
}

// context returns the context of a request made under parent.
func (t *reqTrace) context(parent context.Context) context.Context {
	if t.parent != parent {
		t.parent = parent
		t.ctx = context.WithValue(httptrace.WithClientTrace(parent, t.ct), requestScopeKey{}, &t.scope)
	}
	return t.ctx
}

func newReqTrace() *reqTrace {
	// The VU aborts its transport's requests when its context ends.
	t := &reqTrace{scope: requestScope{ownerCancels: true}}
	t.scope.phases = t
	t.ct = &httptrace.ClientTrace{
		GetConn:              func(string) { t.mark(&t.getConn) },
		DNSStart:             func(httptrace.DNSStartInfo) { t.mark(&t.dnsStart) },
		ConnectStart:         func(string, string) { t.mark(&t.connStart) },
		ConnectDone:          t.onConnectDone,
		TLSHandshakeStart:    func() { t.mark(&t.tlsStart) },
		TLSHandshakeDone:     func(tls.ConnectionState, error) { t.mark(&t.tlsDone) },
		GotConn:              t.onGotConn,
		WroteRequest:         func(httptrace.WroteRequestInfo) { t.mark(&t.wrote) },
		GotFirstResponseByte: func() { t.mark(&t.firstByte) },
	}
	return t
}

// directPhases implements phaseRecorder: the direct transport hands over
// its events once per request instead of calling four hooks.
func (t *reqTrace) directPhases(d directTimes) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.getConn, t.gotConn, t.wrote, t.firstByte = d.getConn, d.gotConn, d.wrote, d.firstByte
	if d.remote != nil {
		t.remote = d.remote
	}
}

func (t *reqTrace) mark(at *time.Time) {
	now := time.Now()
	t.mu.Lock()
	*at = now
	t.mu.Unlock()
}

func (t *reqTrace) onConnectDone(_, _ string, err error) {
	if err == nil {
		t.mark(&t.connDone)
	}
}

func (t *reqTrace) onGotConn(ci httptrace.GotConnInfo) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.gotConn = now
	if ci.Conn != nil {
		// The address is formatted only if the script reads remote_ip.
		t.remote = ci.Conn.RemoteAddr()
	}
}

func (t *reqTrace) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	var zero time.Time
	t.getConn, t.dnsStart, t.connStart, t.connDone, t.tlsStart, t.tlsDone, t.gotConn, t.wrote, t.firstByte = zero, zero, zero, zero, zero, zero, zero, zero, zero
	t.remote = nil
}
