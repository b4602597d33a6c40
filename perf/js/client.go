package js

import (
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// send performs req as http.Client.Do does for a client with the VU's
// transport and cookie jar, following at most maxRedirects redirects.
//
// It is http.Client's redirect loop with the same rules (methods and
// bodies per status, headers copied from the first request with the
// sensitive ones dropped for another domain, Referer, cookies from the
// jar per hop and cookies set on the first request updated by Set-Cookie,
// basic auth from the URL, errors as *url.Error), but it copies the first
// request's headers only when a redirect happens: http.Client clones them
// up front for every request, which with the rest of its bookkeeping was
// a few percent of the client's CPU time per request.
func (vu *VU) send(req *http.Request, maxRedirects int) (*http.Response, error) {
	ireq := req
	var (
		viaBuf         [4]*http.Request
		via            = viaBuf[:0]
		resp           *http.Response
		ihdr           http.Header // the first request's headers, copied at the first redirect
		icookies       map[string][]*http.Cookie
		origCookie     = ireq.Header["Cookie"] // before the jar adds its cookies
		redirectMethod string
		includeBody    = true
		stripSensitive = false
	)
	uerr := func(err error) error {
		u := req.URL
		if resp != nil && resp.Request != nil {
			u = resp.Request.URL
		}
		return &url.Error{Op: urlErrorOp(via[0].Method), URL: stripPassword(u), Err: err}
	}
	for {
		if len(via) > 0 {
			loc := resp.Header.Get("Location")
			if loc == "" {
				// 3xx without a Location: the response is the result.
				return resp, nil
			}
			u, err := req.URL.Parse(loc)
			if err != nil {
				resp.Body.Close()
				return nil, uerr(fmt.Errorf("failed to parse Location header %q: %v", loc, err))
			}
			host := ""
			if req.Host != "" && req.Host != req.URL.Host {
				// A custom Host stays for a relative Location.
				if lu, _ := url.Parse(loc); lu != nil && !lu.IsAbs() {
					host = req.Host
				}
			}
			next := (&http.Request{Method: redirectMethod, Response: resp, URL: u, Header: make(http.Header), Host: host, Cancel: ireq.Cancel}).WithContext(ireq.Context())
			if includeBody && ireq.GetBody != nil {
				next.Body, err = ireq.GetBody()
				if err != nil {
					resp.Body.Close()
					return nil, uerr(err)
				}
				next.GetBody = ireq.GetBody
				next.ContentLength = ireq.ContentLength
			}
			if ihdr == nil {
				ihdr = ireq.Header.Clone()
				if origCookie == nil {
					delete(ihdr, "Cookie")
				} else {
					ihdr["Cookie"] = origCookie
				}
				if c := ihdr.Get("Cookie"); c != "" {
					icookies = make(map[string][]*http.Cookie)
					for _, ck := range (&http.Request{Header: http.Header{"Cookie": ihdr["Cookie"]}}).Cookies() {
						icookies[ck.Name] = append(icookies[ck.Name], ck)
					}
				}
			}
			if !stripSensitive && via[0].URL.Host != next.URL.Host && !shouldCopyHeaderOnRedirect(via[0].URL, next.URL) {
				stripSensitive = true
			}
			copyHeaders(next, ihdr, icookies, stripSensitive, !includeBody)
			if ref := refererForURL(via[len(via)-1].URL, next.URL, next.Header.Get("Referer")); ref != "" {
				next.Header.Set("Referer", ref)
			}
			req = next
			if len(via) > maxRedirects {
				// The redirect is not followed: the 3xx response is the
				// result, its body unread (http.ErrUseLastResponse).
				return resp, nil
			}
			// Read a little of the body so that the connection can
			// carry the next request, as http.Client does.
			const maxBodySlurpSize = 2 << 10
			if resp.ContentLength == -1 || resp.ContentLength <= maxBodySlurpSize {
				io.CopyN(io.Discard, resp.Body, maxBodySlurpSize) //nolint:errcheck // the transport will not reuse a failed connection
			}
			resp.Body.Close()
		}

		via = append(via, req)
		var err error
		if resp, err = vu.sendOne(req); err != nil {
			return nil, uerr(err)
		}
		var shouldRedirect, includeBodyOnHop bool
		redirectMethod, shouldRedirect, includeBodyOnHop = redirectBehavior(req.Method, resp, via[0])
		if !shouldRedirect {
			return resp, nil
		}
		if !includeBodyOnHop {
			// Once a hop drops the body it is never sent again.
			includeBody = false
		}
		if req.Body != nil {
			req.Body.Close()
		}
	}
}

// sendOne is one hop: cookies from the jar, basic auth from the URL, the
// round trip, cookies into the jar (http.Client.send).
func (vu *VU) sendOne(req *http.Request) (*http.Response, error) {
	cookieURL := req.URL
	if req.Host != "" {
		u := *cookieURL
		u.Host = req.Host
		cookieURL = &u
	}
	for _, ck := range vu.jar.Cookies(cookieURL) {
		req.AddCookie(ck)
	}
	if req.RequestURI != "" {
		return nil, errors.New("http: Request.RequestURI can't be set in client requests")
	}
	sent := req
	if u := req.URL.User; u != nil && req.Header.Get("Authorization") == "" {
		password, _ := u.Password()
		clone := *req
		clone.Header = req.Header.Clone()
		clone.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+password)))
		sent = &clone
	}
	resp, err := vu.transport.RoundTrip(sent)
	if err != nil {
		var rh tls.RecordHeaderError
		if errors.As(err, &rh) && string(rh.RecordHeader[:]) == "HTTP/" {
			err = http.ErrSchemeMismatch
		}
		return nil, err
	}
	if len(resp.Header["Set-Cookie"]) > 0 {
		if rc := resp.Cookies(); len(rc) > 0 {
			vu.jar.SetCookies(cookieURL, rc)
		}
	}
	return resp, nil
}

// copyHeaders copies the first request's headers into a redirect's, as
// http.Client's header copier does.
func copyHeaders(req *http.Request, ihdr http.Header, icookies map[string][]*http.Cookie, stripSensitive, stripBody bool) {
	// Cookies set on the first request that a response has set anew
	// are dropped from it (go.dev/issue/17494).
	if icookies != nil {
		changed := false
		for _, c := range req.Response.Cookies() {
			if _, ok := icookies[c.Name]; ok {
				delete(icookies, c.Name)
				changed = true
			}
		}
		if changed {
			ihdr.Del("Cookie")
			var ss []string
			for _, cs := range icookies {
				for _, c := range cs {
					ss = append(ss, c.Name+"="+c.Value)
				}
			}
			slices.Sort(ss)
			ihdr.Set("Cookie", strings.Join(ss, "; "))
		}
	}
	for k, vv := range ihdr {
		sensitive, body := false, false
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Www-Authenticate", "Cookie", "Cookie2", "Proxy-Authorization", "Proxy-Authenticate":
			sensitive = true
		case "Content-Encoding", "Content-Language", "Content-Location", "Content-Type":
			body = true
		}
		if !(sensitive && stripSensitive) && !(body && stripBody) {
			req.Header[k] = vv
		}
	}
}

// redirectBehavior is http.Client's: which statuses redirect, with which
// method, and whether the body goes along.
func redirectBehavior(method string, resp *http.Response, ireq *http.Request) (redirectMethod string, shouldRedirect, includeBody bool) {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
		redirectMethod, shouldRedirect = method, true
		if method != http.MethodGet && method != http.MethodHead {
			redirectMethod = http.MethodGet
		}
	case http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		redirectMethod, shouldRedirect, includeBody = method, true, true
		if ireq.GetBody == nil && outgoingLength(ireq) != 0 {
			// The body cannot be sent again: the 307/308 is the result.
			shouldRedirect = false
		}
	}
	return redirectMethod, shouldRedirect, includeBody
}

func outgoingLength(r *http.Request) int64 {
	if r.Body == nil || r.Body == http.NoBody {
		return 0
	}
	if r.ContentLength != 0 {
		return r.ContentLength
	}
	return -1
}

// refererForURL is the Referer of a redirect: none from https to http, the
// one the script set, else the previous URL without credentials.
func refererForURL(last, next *url.URL, explicit string) string {
	if last.Scheme == "https" && next.Scheme == "http" {
		return ""
	}
	if explicit != "" {
		return explicit
	}
	ref := last.String()
	if last.User != nil {
		ref = strings.Replace(ref, last.User.String()+"@", "", 1)
	}
	return ref
}

// shouldCopyHeaderOnRedirect permits sensitive headers from "foo.com" to
// "foo.com" and its subdomains only.
func shouldCopyHeaderOnRedirect(initial, dest *url.URL) bool {
	return isDomainOrSubdomain(idnaHost(dest), idnaHost(initial))
}

func idnaHost(u *url.URL) string {
	h := u.Hostname()
	for i := 0; i < len(h); i++ {
		if h[i] >= 0x80 {
			if v, err := idna.Lookup.ToASCII(h); err == nil {
				return v
			}
			break
		}
	}
	return h
}

func isDomainOrSubdomain(sub, parent string) bool {
	if sub == parent {
		return true
	}
	// An IPv6 address (or zone) is no subdomain of anything.
	if strings.ContainsAny(sub, ":%") {
		return false
	}
	return strings.HasSuffix(sub, parent) && sub[len(sub)-len(parent)-1] == '.'
}

// urlErrorOp is the Op of a *url.Error: "Get", "Post", ...
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	for i := 0; i < len(method); i++ {
		if method[i] >= 0x80 {
			return method
		}
	}
	return method[:1] + strings.ToLower(method[1:])
}

// stripPassword is u as a string with the password masked.
func stripPassword(u *url.URL) string {
	if _, set := u.User.Password(); set {
		return strings.Replace(u.String(), u.User.String()+"@", u.User.Username()+":***@", 1)
	}
	return u.String()
}
