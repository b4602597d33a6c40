package kv_test

import (
	"errors"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

type account struct {
	Name    string `json:"name"`
	Balance int    `json:"balance"`
}

func TestCollection(t *testing.T) {
	c := consensustest.NewCluster(t, 3)
	ctx := ctxT(t, 30*time.Second)
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fid := c.Follower(lid)
	leader, err := kv.NewCollection[account](c.Server(lid), "/accounts/", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Writes through a follower's collection, reads through the leader's.
	follower, err := kv.NewCollection[account](c.Server(fid), "/accounts/", nil)
	if err != nil {
		t.Fatal(err)
	}
	var b consensus.Backend[kv.Entry[account]] = follower
	updates := leader.Subscribe()
	if _, ok := leader.GetLatest(); ok {
		t.Fatal("GetLatest before any write reports a value")
	}

	created, err := follower.Write(ctx, kv.Entry[account]{ID: "a", Value: account{"ann", 10}})
	if err != nil || created.Version != 1 || created.Revision == 0 {
		t.Fatalf("create = %+v, %v; want version 1", created, err)
	}
	if _, err := follower.Write(ctx, kv.Entry[account]{ID: "a", Value: account{"dup", 0}}); !errors.Is(err, kv.ErrVersionMismatch) {
		t.Fatalf("second create of a: err = %v, want ErrVersionMismatch", err)
	}
	if err := b.Propose(ctx, kv.Entry[account]{ID: "a", Value: account{"ann", 20}, Version: 1}); err != nil {
		t.Fatalf("CAS at version 1: %v", err)
	}
	if err := b.Propose(ctx, kv.Entry[account]{ID: "a", Value: account{"ann", 30}, Version: 1}); !errors.Is(err, kv.ErrVersionMismatch) {
		t.Fatalf("stale CAS: err = %v, want ErrVersionMismatch", err)
	}
	if err := b.Propose(ctx, kv.Entry[account]{ID: "zz", Value: account{"x", 0}, Version: 3}); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("CAS of a missing record: err = %v, want ErrNotFound", err)
	}
	unc, err := follower.Write(ctx, kv.Entry[account]{ID: "b", Value: account{"bob", 5}, Version: kv.AnyVersion})
	if err != nil || unc.Version != 1 {
		t.Fatalf("unconditional write = %+v, %v", unc, err)
	}

	got, err := leader.Get(ctx, "a")
	if err != nil || got.Value != (account{"ann", 20}) || got.Version != 2 {
		t.Fatalf("Get(a) on the leader = %+v, %v; want ann/20 at version 2", got, err)
	}
	if _, err := leader.Get(ctx, "nope"); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("Get(nope): err = %v, want ErrNotFound", err)
	}
	if err := b.Propose(ctx, kv.Entry[account]{ID: "b", Deleted: true, Version: kv.AnyVersion}); err != nil {
		t.Fatalf("delete b: %v", err)
	}
	if err := b.Propose(ctx, kv.Entry[account]{ID: "b", Deleted: true, Version: kv.AnyVersion}); !errors.Is(err, kv.ErrNotFound) {
		t.Fatalf("second delete of b: err = %v, want ErrNotFound", err)
	}
	list, err := leader.List(ctx)
	if err != nil || len(list) != 1 || list[0].ID != "a" {
		t.Fatalf("List = %+v, %v; want just a", list, err)
	}

	// The leader's subscription saw every applied change in order.
	want := []struct {
		id      string
		deleted bool
		balance int
	}{{"a", false, 10}, {"a", false, 20}, {"b", false, 5}, {"b", true, 0}}
	var last uint64
	for i, w := range want {
		select {
		case u := <-updates:
			if u.State.ID != w.id || u.State.Deleted != w.deleted || u.State.Value.Balance != w.balance || u.Index <= last {
				t.Fatalf("update %d = %+v, want %+v after index %d", i, u, w, last)
			}
			last = u.Index
		case <-ctx.Done():
			t.Fatalf("update %d never arrived", i)
		}
	}
	if l, ok := leader.GetLatest(); !ok || l.ID != "b" || !l.Deleted {
		t.Fatalf("GetLatest = %+v, %v; want the delete of b", l, ok)
	}

	// Stopping the node closes the subscription.
	if err := c.Server(lid).Close(); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case _, ok := <-updates:
			if !ok {
				return
			}
		case <-ctx.Done():
			t.Fatal("subscription not closed when the server stopped")
		}
	}
}
