package kv_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gocli/gocli/consensus/consensustest"
	"github.com/gocli/gocli/consensus/kv"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestServerKV(t *testing.T) {
	c := consensustest.NewCluster(t, 3)
	ctx := ctxT(t, 30*time.Second)
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Write through a follower: proposals are forwarded to the leader.
	f := c.Server(c.Follower(lid))
	pr, err := f.Put(ctx, kv.PutRequest{Key: []byte("a/1"), Value: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	if pr.Header.Revision != 2 {
		t.Fatalf("first put revision = %d, want 2", pr.Header.Revision)
	}
	pr, err = f.Put(ctx, kv.PutRequest{Key: []byte("a/1"), Value: []byte("y"), PrevKv: true})
	if err != nil || string(pr.PrevKv.Value) != "x" {
		t.Fatalf("put with prevKV: %v %+v", err, pr)
	}
	for _, k := range []string{"a/2", "a/3", "b/1"} {
		if _, err := c.Server(lid).Put(ctx, kv.PutRequest{Key: []byte(k), Value: []byte(k)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range c.Running() {
		kvv, err := c.Server(id).Get(ctx, []byte("a/1"))
		if err != nil || kvv == nil || string(kvv.Value) != "y" || kvv.Version != 2 || kvv.CreateRevision != 2 || kvv.ModRevision != 3 {
			t.Fatalf("node %d get a/1 = %+v, %v", id, kvv, err)
		}
	}
	rr, err := f.Range(ctx, kv.RangeRequest{Key: []byte("a/"), RangeEnd: kv.PrefixEnd([]byte("a/")), Limit: 2})
	if err != nil || rr.Count != 3 || len(rr.Kvs) != 2 || !rr.More {
		t.Fatalf("prefix range = %+v, %v", rr, err)
	}
	rr, err = f.Range(ctx, kv.RangeRequest{Key: []byte("a/1"), Revision: 2})
	if err != nil || string(rr.Kvs[0].Value) != "x" {
		t.Fatalf("range at revision 2 = %+v, %v", rr, err)
	}
	rr, err = f.Range(ctx, kv.RangeRequest{Key: []byte{0}, RangeEnd: []byte{0}, CountOnly: true})
	if err != nil || rr.Count != 4 || len(rr.Kvs) != 0 {
		t.Fatalf("count all = %+v, %v", rr, err)
	}
	// CAS: compare value then put, else get.
	cas := func(old, new string) bool {
		tr, err := f.Txn(ctx, kv.TxnRequest{
			Compare: []kv.Compare{{Key: []byte("a/1"), Target: kv.CompareValue, Result: kv.CompareEqual, Value: []byte(old)}},
			Success: []kv.Op{{Put: &kv.PutRequest{Key: []byte("a/1"), Value: []byte(new)}}},
			Failure: []kv.Op{{Range: &kv.RangeRequest{Key: []byte("a/1")}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Succeeded
	}
	if cas("nope", "z") || !cas("y", "z") {
		t.Fatal("CAS semantics wrong")
	}
	tr, err := f.Txn(ctx, kv.TxnRequest{
		Compare: []kv.Compare{{Key: []byte("missing"), Target: kv.CompareCreate, Result: kv.CompareEqual, CreateRevision: 0}},
		Success: []kv.Op{{Put: &kv.PutRequest{Key: []byte("missing"), Value: []byte("now")}}},
	})
	if err != nil || !tr.Succeeded {
		t.Fatalf("create-if-absent: %+v %v", tr, err)
	}
	dr, err := f.DeleteRange(ctx, kv.DeleteRangeRequest{Key: []byte("a/"), RangeEnd: kv.PrefixEnd([]byte("a/")), PrevKv: true})
	if err != nil || dr.Deleted != 3 || len(dr.PrevKvs) != 3 {
		t.Fatalf("delete prefix = %+v, %v", dr, err)
	}
	// Watch from revision 2 replays history in order, then follows.
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	wch, err := c.Server(lid).Watch(wctx, kv.WatchRequest{Key: []byte("a/"), RangeEnd: kv.PrefixEnd([]byte("a/")), StartRevision: 2, PrevKv: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Put(ctx, kv.PutRequest{Key: []byte("a/9"), Value: []byte("late")}); err != nil {
		t.Fatal(err)
	}
	var evs []kv.Event
	for len(evs) < 9 {
		select {
		case wr := <-wch:
			evs = append(evs, wr.Events...)
		case <-ctx.Done():
			t.Fatalf("watch got %d events", len(evs))
		}
	}
	last := int64(0)
	for _, e := range evs {
		if e.Kv.ModRevision < last {
			t.Fatalf("events out of order: %v", evs)
		}
		last = e.Kv.ModRevision
	}
	if evs[len(evs)-1].Type != kv.EventPut || string(evs[len(evs)-1].Kv.Key) != "a/9" {
		t.Fatalf("last event = %+v", evs[len(evs)-1])
	}
	// Compaction: old revisions and watches before it fail.
	rev := c.Server(lid).Store().Revision()
	if err := f.Compact(ctx, rev-1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Range(ctx, kv.RangeRequest{Key: []byte("a/1"), Revision: 2}); !errors.Is(err, kv.ErrCompacted) {
		t.Fatalf("range at compacted revision: %v", err)
	}
	w2, _ := f.Watch(ctx, kv.WatchRequest{Key: []byte("a/"), StartRevision: 2})
	if wr := <-w2; !errors.Is(wr.Err, kv.ErrCompacted) || !wr.Canceled {
		t.Fatalf("watch from compacted revision = %+v", wr)
	}
}

func TestLeaseExpiryDeletesKeys(t *testing.T) {
	c := consensustest.NewCluster(t, 3)
	ctx := ctxT(t, 30*time.Second)
	lid, err := c.WaitLeader(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Server(lid)
	lg, err := s.LeaseGrant(ctx, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, kv.PutRequest{Key: []byte("lock"), Value: []byte("me"), Lease: lg.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, kv.PutRequest{Key: []byte("x"), Lease: 12345}); !errors.Is(err, kv.ErrLeaseNotFound) {
		t.Fatalf("put with unknown lease: %v", err)
	}
	ttl, err := s.LeaseTimeToLive(ctx, lg.ID, true)
	if err != nil || ttl.GrantedTTL != 2 || len(ttl.Keys) != 1 {
		t.Fatalf("time to live = %+v, %v", ttl, err)
	}
	// Keep-alive through a follower keeps it past its TTL.
	f := c.Server(c.Follower(lid))
	deadline := time.Now().Add(3 * time.Second) // past the 2s TTL
	for time.Now().Before(deadline) {
		if _, err := f.LeaseKeepAlive(ctx, lg.ID); err != nil {
			t.Fatalf("keep-alive: %v", err)
		}
		time.Sleep(200 * time.Millisecond) // paced keep-alives, as a client sends them
	}
	if kvv, err := s.Get(ctx, []byte("lock")); err != nil || kvv == nil {
		t.Fatalf("key gone despite keep-alives: %v", err)
	}
	// Stop renewing: the leader revokes it through the log.
	for {
		kvv, err := f.Get(ctx, []byte("lock"))
		if err != nil {
			t.Fatal(err)
		}
		if kvv == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("lease never expired")
		case <-time.After(50 * time.Millisecond):
		}
	}
	ids, err := f.Leases(ctx)
	if err != nil || len(ids) != 0 {
		t.Fatalf("leases after expiry = %v, %v", ids, err)
	}
}
