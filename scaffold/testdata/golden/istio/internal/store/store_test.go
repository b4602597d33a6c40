package store

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/user/internal/config"
	"example.com/user/internal/model"
)

// openSingle starts a one-node cluster, which elects itself.
func openSingle(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{
		ID:           1,
		Peers:        []config.Peer{{ID: 1, Addr: "127.0.0.1:0"}},
		RaftAddr:     "127.0.0.1:0",
		DataDir:      dir,
		TickInterval: 10 * time.Millisecond,
		Logger:       slog.New(slog.DiscardHandler),
		Registerer:   prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	// A single node elects itself after one election timeout.
	deadline := time.Now().Add(10 * time.Second)
	for s.Status().Leader == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no leader after 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	return s
}

func TestStoreCRUD(t *testing.T) {
	dir := t.TempDir()
	s := openSingle(t, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	created, err := s.Create(ctx, model.User{Name: "Ada Lovelace", Email: "ada@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == "" || created.Version != 1 {
		t.Fatalf("created %+v", created)
	}
	got, err := s.Get(ctx, created.ID)
	if err != nil || got != created {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, created)
	}
	got.Name = "changed"
	updated, err := s.Update(ctx, got)
	if err != nil || updated.Version != 2 {
		t.Fatalf("Update = %+v, %v", updated, err)
	}
	if _, err := s.Update(ctx, got); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("stale Update: %v, want ErrConflict", err)
	}
	if _, err := s.Update(ctx, model.User{ID: created.ID}); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("Update without a version: %v, want ErrConflict", err)
	}
	if _, err := s.Update(ctx, model.User{ID: "missing", Version: 1}); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("Update of a missing ID: %v, want ErrNotFound", err)
	}
	list, err := s.List(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "changed" {
		t.Fatalf("List = %+v, %v", list, err)
	}

	// The WAL brings the data back after a restart.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openSingle(t, dir)
	defer s.Close()
	if got, err := s.Get(ctx, created.ID); err != nil || got.Version != 2 {
		t.Fatalf("after restart Get = %+v, %v", got, err)
	}
	if err := s.Delete(ctx, created.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, created.ID); !errors.Is(err, model.ErrNotFound) {
		t.Fatalf("second Delete: %v, want ErrNotFound", err)
	}
}
