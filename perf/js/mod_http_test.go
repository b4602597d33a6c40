package js

import (
	"context"
	"net/http"
	"reflect"
	"testing"
)

// urlCache.newRequest makes the request NewRequestWithContext would, from
// the first call (URL parsed) to the later ones (a copy of a template),
// across contexts and methods, each with a header map of its own.
func TestURLCacheNewRequest(t *testing.T) {
	type key struct{}
	ctx1 := context.WithValue(context.Background(), key{}, 1)
	ctx2 := context.WithValue(context.Background(), key{}, 2)
	var c urlCache
	const raw = "http://example.com:8080/a?b=c"
	var made []*http.Request
	for _, ctx := range []context.Context{ctx1, ctx1, ctx2, ctx1} {
		for _, m := range []string{"GET", "POST", "DELETE", "GET", "PROPFIND"} {
			got, err := c.newRequest(ctx, m, raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			want, err := http.NewRequestWithContext(ctx, m, raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Context() != ctx {
				t.Errorf("%s: the request's context is not the caller's", m)
			}
			if *got.URL != *want.URL {
				t.Errorf("%s: URL %+v, want %+v", m, got.URL, want.URL)
			}
			// Compare everything but the URL pointer and the context.
			g, w := *got, *want
			g.URL, w.URL = nil, nil
			g, w = *g.WithContext(context.Background()), *w.WithContext(context.Background())
			if !reflect.DeepEqual(g, w) {
				t.Errorf("%s: request\n%+v\nwant\n%+v", m, g, w)
			}
			made = append(made, got)
		}
	}
	made[0].Header.Set("X-One", "1")
	for _, r := range made[1:] {
		if r.Header.Get("X-One") != "" {
			t.Fatal("requests share a header map")
		}
	}
	if _, err := c.newRequest(ctx1, "BAD METHOD", raw, nil); err == nil {
		t.Error("an invalid method was accepted")
	}
}
