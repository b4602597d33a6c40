package etcdapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/gocli/gocli/sandbox/sandboxtest"
)

// TestGateway drives the JSON gateway as curl would: base64 keys and
// values, 64-bit integers as strings, errors as JSON with a gRPC code.
func TestGateway(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	base := c.Spec().Nodes[1].HTTPURL()
	post := func(path, body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(base+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %s: %v", path, b, err)
		}
		return resp.StatusCode, m
	}
	// foo=bar, in base64.
	if code, m := post("/v3/kv/put", `{"key":"Zm9v","value":"YmFy"}`); code != 200 || m["header"] == nil {
		t.Fatalf("put: %d %v", code, m)
	}
	code, m := post("/v3/kv/range", `{"key":"Zm9v"}`)
	kvs, _ := m["kvs"].([]any)
	if code != 200 || len(kvs) != 1 || kvs[0].(map[string]any)["value"] != "YmFy" || m["count"] != "1" {
		t.Fatalf("range: %d %v", code, m)
	}
	code, m = post("/v3/kv/txn", `{"compare":[{"key":"Zm9v","target":"VALUE","result":"EQUAL","value":"YmFy"}],"success":[{"request_put":{"key":"Zm9v","value":"YmF6"}}]}`)
	if code != 200 || m["succeeded"] != true {
		t.Fatalf("txn: %d %v", code, m)
	}
	code, m = post("/v3/kv/deleterange", `{"key":"Zm9v","prev_kv":true}`)
	prev, _ := m["prev_kvs"].([]any)
	if code != 200 || m["deleted"] != "1" || len(prev) != 1 || prev[0].(map[string]any)["value"] != "YmF6" {
		t.Fatalf("deleterange: %d %v", code, m)
	}
	if code, m := post("/v3/kv/put", `{"value":"YmFy"}`); code != 400 || !strings.Contains(m["error"].(string), "key is not provided") {
		t.Fatalf("put without key: %d %v", code, m)
	}
	if code, _ := post("/v3/kv/range", `{not json`); code != 400 {
		t.Fatalf("bad json: %d", code)
	}
	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"health":"true"`) {
		t.Fatalf("health: %d %s", resp.StatusCode, b)
	}
}
