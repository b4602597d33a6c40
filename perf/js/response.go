package js

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/dop251/goja"
)

// jsTimings is response.timings, in milliseconds.
type jsTimings struct {
	Blocked        float64 `js:"blocked"`
	Connecting     float64 `js:"connecting"`
	TLSHandshaking float64 `js:"tls_handshaking"`
	Sending        float64 `js:"sending"`
	Waiting        float64 `js:"waiting"`
	Receiving      float64 `js:"receiving"`
	Duration       float64 `js:"duration"`
}

// jsRequest is response.request.
type jsRequest struct {
	Method  string              `js:"method"`
	URL     string              `js:"url"`
	Body    string              `js:"body"`
	Headers map[string][]string `js:"headers"`
}

// responseKeys are the properties of a response, in the order
// Object.keys() and JSON.stringify() list them.
var responseKeys = []string{"status", "status_text", "proto", "url", "error", "error_code", "remote_ip", "remote_port", "headers", "body", "timings", "request"}

// jsResponse is what http.get() and friends return: a dynamic object
// whose properties are built when the script first reads them. Most
// scripts read the status and perhaps the body; building the headers,
// body string, timings and request objects for every response was a
// measurable share of the cost of a request. Values, once built, are
// kept, so res.headers === res.headers; assignments are kept too.
type jsResponse struct {
	vu   *VU
	req  *reqSpec
	res  *respData
	vals map[string]goja.Value
}

func (vu *VU) toJS(r *reqSpec, res *respData) goja.Value {
	return vu.rt.NewDynamicObject(&jsResponse{vu: vu, req: r, res: res})
}

// hasBody reports whether response.body is a value (not null).
func (r *jsResponse) hasBody() bool {
	return r.req.responseType != "none" && (r.res.err == nil || r.res.body != nil)
}

// Get implements goja.DynamicObject.
func (r *jsResponse) Get(key string) goja.Value {
	if v, ok := r.vals[key]; ok {
		return v
	}
	rt, res := r.vu.rt, r.res
	var v goja.Value
	switch key {
	case "status":
		return rt.ToValue(res.status)
	case "status_text":
		return rt.ToValue(res.statusText)
	case "proto":
		return rt.ToValue(res.proto)
	case "url":
		return rt.ToValue(res.url)
	case "error":
		if res.err == nil {
			return rt.ToValue("")
		}
		return rt.ToValue(res.err.Error())
	case "error_code":
		return rt.ToValue(res.errCode)
	case "remote_ip", "remote_port":
		ip, port := "", 0
		if res.remoteAddr != nil {
			if host, p, err := net.SplitHostPort(res.remoteAddr.String()); err == nil {
				ip = host
				port, _ = strconv.Atoi(p)
			}
		}
		if key == "remote_ip" {
			return rt.ToValue(ip)
		}
		return rt.ToValue(port)
	case "headers":
		h := make(map[string]string, len(res.headers))
		for k, vs := range res.headers {
			h[k] = strings.Join(vs, ", ")
		}
		v = rt.ToValue(h)
	case "body":
		switch {
		case !r.hasBody():
			v = goja.Null()
		case r.req.responseType == "binary":
			v = rt.ToValue(rt.NewArrayBuffer(res.body))
		default:
			v = rt.ToValue(string(res.body))
		}
	case "timings":
		t := res.t
		v = rt.ToValue(&jsTimings{
			Blocked: ms(t.blocked), Connecting: ms(t.connecting), TLSHandshaking: ms(t.tls),
			Sending: ms(t.sending), Waiting: ms(t.waiting), Receiving: ms(t.receiving), Duration: ms(t.duration),
		})
	case "request":
		q := &jsRequest{Method: r.req.method, URL: r.req.url, Body: string(r.req.body)}
		if len(r.req.headers) > 0 {
			q.Headers = make(map[string][]string, len(r.req.headers))
			for k, hv := range r.req.headers {
				q.Headers[k] = []string{hv}
			}
		}
		v = rt.ToValue(q)
	case "json":
		v = rt.ToValue(r.json)
	default:
		return nil
	}
	r.keep(key, v)
	return v
}

func (r *jsResponse) keep(key string, v goja.Value) {
	if r.vals == nil {
		r.vals = make(map[string]goja.Value, 4)
	}
	r.vals[key] = v
}

// Set implements goja.DynamicObject: a script may overwrite or add
// properties, as on any object.
func (r *jsResponse) Set(key string, v goja.Value) bool {
	r.keep(key, v)
	return true
}

// Has implements goja.DynamicObject.
func (r *jsResponse) Has(key string) bool {
	if v, ok := r.vals[key]; ok {
		return v != nil
	}
	return builtinResponseKey(key)
}

func builtinResponseKey(key string) bool {
	return key == "json" || slices.Contains(responseKeys, key)
}

// Delete implements goja.DynamicObject: a nil value marks the property as
// gone, built-in or not.
func (r *jsResponse) Delete(key string) bool {
	r.keep(key, nil)
	return true
}

// Keys implements goja.DynamicObject.
func (r *jsResponse) Keys() []string {
	keys := make([]string, 0, len(responseKeys)+len(r.vals))
	for _, k := range responseKeys {
		if r.Has(k) {
			keys = append(keys, k)
		}
	}
	for k, v := range r.vals {
		if v != nil && !builtinResponseKey(k) {
			keys = append(keys, k)
		}
	}
	return keys
}

// json parses the body (response.json([selector])).
func (r *jsResponse) json(c goja.FunctionCall) goja.Value {
	vu := r.vu
	if !r.hasBody() {
		vu.throw("response has no body to parse as JSON")
	}
	v, err := vu.jsonParse(goja.Undefined(), vu.rt.ToValue(string(r.res.body)))
	if err != nil {
		panic(err)
	}
	sel := c.Argument(0)
	if goja.IsUndefined(sel) {
		return v
	}
	return selectPath(vu.rt, v, sel.String())
}
