package js

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// VU.send follows redirects as http.Client does: each scenario runs once
// through a client with the same transport and a fresh jar, once through
// send on a fresh VU, and the requests the servers saw and the results
// must be the same.
func TestSendMatchesHTTPClient(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	handler := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			seen = append(seen, fmt.Sprintf("%s %s %s host=%q cookie=%q auth=%q referer=%q type=%q custom=%q body=%q",
				name, r.Method, r.URL.RequestURI(), r.Host, r.Header["Cookie"], r.Header.Get("Authorization"),
				r.Header.Get("Referer"), r.Header.Get("Content-Type"), r.Header.Get("X-Custom"), body))
			mu.Unlock()
			q := r.URL.Query()
			if c := q.Get("set"); c != "" {
				name, value, _ := strings.Cut(c, "=")
				http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/"})
			}
			if loc, ok := q["to"]; ok {
				w.Header().Set("Location", loc[0])
				code := http.StatusFound
				fmt.Sscan(q.Get("code"), &code)
				w.WriteHeader(code)
				io.WriteString(w, "redirecting")
				return
			}
			if r.URL.Path == "/loop" {
				n := 0
				fmt.Sscan(q.Get("n"), &n)
				http.Redirect(w, r, fmt.Sprintf("/loop?n=%d", n+1), http.StatusFound)
				return
			}
			io.WriteString(w, "final "+r.URL.Path)
		})
	}
	a := httptest.NewServer(handler("a"))
	t.Cleanup(a.Close)
	b := httptest.NewServer(handler("b"))
	t.Cleanup(b.Close)
	other := strings.Replace(b.URL, "127.0.0.1", "localhost", 1) // another host name
	esc := func(s string) string { return strings.NewReplacer("?", "%3F", "&", "%26", "=", "%3D").Replace(s) }

	type scenario struct {
		name, method, url, body string
		header                  http.Header
		host                    string
		max                     int
	}
	scenarios := []scenario{
		{name: "301", method: "GET", url: a.URL + "/r?code=301&to=/final"},
		{name: "302 turns POST into GET without body", method: "POST", url: a.URL + "/r?to=/final", body: "x=1", header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Custom": {"kept"}}},
		{name: "303 keeps HEAD", method: "HEAD", url: a.URL + "/r?code=303&to=/final"},
		{name: "307 keeps POST and body", method: "POST", url: a.URL + "/r?code=307&to=/final", body: "payload", header: http.Header{"Content-Type": {"text/plain"}}},
		{name: "308 keeps PUT", method: "PUT", url: a.URL + "/r?code=308&to=/final", body: "payload"},
		{name: "cookie set on the redirect", method: "GET", url: a.URL + "/r?set=s%3D1&to=/final"},
		{name: "first request's cookie replaced by Set-Cookie", method: "GET", url: a.URL + "/r?set=a%3D9&to=/final", header: http.Header{"Cookie": {"a=1; b=2"}}},
		{name: "sensitive headers kept on the same host", method: "GET", url: a.URL + "/r?to=" + esc(a.URL+"/final"), header: http.Header{"Authorization": {"Bearer t"}, "Cookie": {"c=1"}}},
		{name: "sensitive headers dropped for another host", method: "GET", url: a.URL + "/r?to=" + esc(other+"/final"), header: http.Header{"Authorization": {"Bearer t"}, "Cookie": {"c=1"}, "X-Custom": {"kept"}}},
		{name: "basic auth from the URL", method: "GET", url: strings.Replace(a.URL, "http://", "http://user:pw@", 1) + "/r?to=/final"},
		{name: "explicit Referer", method: "GET", url: a.URL + "/r?to=/final", header: http.Header{"Referer": {"http://origin.example/"}}},
		{name: "custom Host kept for a relative Location", method: "GET", url: a.URL + "/r?to=/final", host: "virtual.example"},
		{name: "custom Host dropped for an absolute Location", method: "GET", url: a.URL + "/r?to=" + esc(b.URL+"/final"), host: "virtual.example"},
		{name: "3xx without Location", method: "GET", url: a.URL + "/r?code=302&to="},
		{name: "bad Location", method: "GET", url: a.URL + "/r?to=" + esc("http://[::1/x")},
		{name: "redirect limit", method: "GET", url: a.URL + "/loop", max: 3},
		{name: "no redirects", method: "GET", url: a.URL + "/r?to=/final", max: -1},
		{name: "chain over two hosts", method: "GET", url: a.URL + "/r?to=" + esc(b.URL+"/r?code=307&to="+esc(a.URL+"/final"))},
	}
	run := func(sc scenario, do func(*http.Request, int) (*http.Response, error)) []string {
		mu.Lock()
		seen = nil
		mu.Unlock()
		var body io.Reader
		if sc.body != "" {
			body = strings.NewReader(sc.body)
		}
		req, err := http.NewRequest(sc.method, sc.url, body)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range sc.header {
			req.Header[k] = v
		}
		req.Host = sc.host
		max := sc.max
		if max == 0 {
			max = 10
		} else if max < 0 {
			max = 0
		}
		var out []string
		resp, err := do(req, max)
		if err != nil {
			out = append(out, "error: "+err.Error())
		} else {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			out = append(out, fmt.Sprintf("result: %d %s %q", resp.StatusCode, resp.Request.URL, b))
		}
		mu.Lock()
		defer mu.Unlock()
		return append(out, seen...)
	}
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			ref := &VU{env: &Env{}}
			ref.initHTTP()
			defer ref.Close()
			jar, _ := cookiejar.New(nil)
			want := run(sc, func(req *http.Request, max int) (*http.Response, error) {
				c := &http.Client{Transport: ref.transport, Jar: jar, CheckRedirect: func(_ *http.Request, via []*http.Request) error {
					if len(via) > max {
						return http.ErrUseLastResponse
					}
					return nil
				}}
				return c.Do(req)
			})
			vu := &VU{env: &Env{}}
			vu.initHTTP()
			defer vu.Close()
			got := run(sc, vu.send)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("send:\n  %s\nhttp.Client:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
			}
			if len(want) < 2 && !strings.HasPrefix(want[0], "error") {
				t.Errorf("the servers saw no request: %q", want)
			}
		})
	}
}
