package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/user/internal/model"
)

// memStore is an in-memory Store with the same error contract as the
// replicated one.
type memStore struct {
	mu    sync.Mutex
	next  int
	items map[string]model.User
	down  bool
}

func (m *memStore) Create(_ context.Context, v model.User) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return v, model.ErrUnavailable
	}
	m.next++
	v.ID, v.Version = fmt.Sprint(m.next), 1
	m.items[v.ID] = v
	return v, nil
}

func (m *memStore) Get(_ context.Context, id string) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[id]
	if !ok {
		return v, model.ErrNotFound
	}
	return v, nil
}

func (m *memStore) List(context.Context) ([]model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []model.User
	for _, v := range m.items {
		out = append(out, v)
	}
	return out, nil
}

func (m *memStore) Update(_ context.Context, v model.User) (model.User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.items[v.ID]
	if !ok {
		return v, model.ErrNotFound
	}
	if v.Version != cur.Version {
		return v, model.ErrConflict
	}
	v.Version++
	m.items[v.ID] = v
	return v, nil
}

func (m *memStore) Delete(_ context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[id]; !ok {
		return model.ErrNotFound
	}
	delete(m.items, id)
	return nil
}

func newTestServer(t *testing.T) (*httptest.Server, *memStore) {
	t.Helper()
	store := &memStore{items: map[string]model.User{}}
	h, err := New(store, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, store
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestCRUD(t *testing.T) {
	srv, _ := newTestServer(t)
	base := srv.URL + "/v1/users"
	code, body := do(t, "POST", base, `{"name":"Ada Lovelace","email":"ada@example.com"}`)
	if code != http.StatusCreated {
		t.Fatalf("create: %d %s", code, body)
	}
	var created model.User
	if err := json.Unmarshal([]byte(body), &created); err != nil || created.ID == "" {
		t.Fatalf("create body %q: %v", body, err)
	}
	if code, body = do(t, "GET", base+"/"+created.ID, ""); code != http.StatusOK || !strings.Contains(body, `"Ada Lovelace"`) {
		t.Fatalf("get: %d %s", code, body)
	}
	update := fmt.Sprintf(`{"name":"Ada Lovelace","email":"ada@example.com","version":%d}`, created.Version)
	if code, body = do(t, "PUT", base+"/"+created.ID, update); code != http.StatusOK || !strings.Contains(body, `"version":2`) {
		t.Fatalf("update: %d %s", code, body)
	}
	if code, body = do(t, "PUT", base+"/"+created.ID, update); code != http.StatusConflict {
		t.Fatalf("stale update: %d %s, want 409", code, body)
	}
	if code, body = do(t, "GET", base, ""); code != http.StatusOK || !strings.Contains(body, created.ID) {
		t.Fatalf("list: %d %s", code, body)
	}
	if code, _ = do(t, "DELETE", base+"/"+created.ID, ""); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if code, _ = do(t, "GET", base+"/"+created.ID, ""); code != http.StatusNotFound {
		t.Fatalf("get after delete: %d, want 404", code)
	}
}

func TestErrors(t *testing.T) {
	srv, store := newTestServer(t)
	base := srv.URL + "/v1/users"
	tests := []struct {
		name, method, url, body string
		want                    int
	}{
		{"not json", "POST", base, "{", http.StatusBadRequest},
		{"unknown field", "POST", base, `{"nickname":"x"}`, http.StatusBadRequest},
		{"missing field", "POST", base, `{}`, http.StatusBadRequest},
		{"unknown id", "GET", base + "/nope", "", http.StatusNotFound},
		{"wrong method", "PATCH", base, "", http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := do(t, tt.method, tt.url, tt.body); code != tt.want {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.url, code, body, tt.want)
			}
		})
	}
	store.down = true
	if code, _ := do(t, "POST", base, `{"name":"Ada Lovelace","email":"ada@example.com"}`); code != http.StatusServiceUnavailable {
		t.Fatalf("create without a leader: %d, want 503", code)
	}
}
