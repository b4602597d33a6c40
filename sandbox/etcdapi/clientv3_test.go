package etcdapi_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/gocli/gocli/sandbox/sandboxtest"
)

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func TestClientV3KV(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 30*time.Second)

	put, err := cli.Put(ctx, "foo", "bar")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "foo", "baz"); err != nil {
		t.Fatal(err)
	}
	get, err := cli.Get(ctx, "foo")
	if err != nil {
		t.Fatal(err)
	}
	if len(get.Kvs) != 1 || string(get.Kvs[0].Value) != "baz" || get.Kvs[0].Version != 2 || get.Kvs[0].CreateRevision != put.Header.Revision {
		t.Fatalf("get foo = %+v", get.Kvs)
	}
	old, err := cli.Get(ctx, "foo", clientv3.WithRev(put.Header.Revision))
	if err != nil || string(old.Kvs[0].Value) != "bar" {
		t.Fatalf("get foo at rev %d = %+v, %v", put.Header.Revision, old.Kvs, err)
	}
	for i := range 5 {
		if _, err := cli.Put(ctx, fmt.Sprintf("dir/%d", i), fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
	}
	// A serializable read answers from whichever node the client picks,
	// which may not have applied the last put yet (as in etcd): poll.
	var pr *clientv3.GetResponse
	for {
		pr, err = cli.Get(ctx, "dir/", clientv3.WithPrefix(), clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(2), clientv3.WithSerializable())
		if err != nil {
			t.Fatal(err)
		}
		if pr.Count == 5 || ctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if len(pr.Kvs) != 2 || string(pr.Kvs[0].Key) != "dir/4" || !pr.More || pr.Count != 5 {
		t.Fatalf("prefix get = %+v more=%v count=%d", pr.Kvs, pr.More, pr.Count)
	}
	cnt, err := cli.Get(ctx, "dir/", clientv3.WithPrefix(), clientv3.WithCountOnly())
	if err != nil || cnt.Count != 5 || len(cnt.Kvs) != 0 {
		t.Fatalf("count = %+v, %v", cnt, err)
	}
	txn, err := cli.Txn(ctx).If(clientv3.Compare(clientv3.Value("foo"), "=", "baz")).
		Then(clientv3.OpPut("foo", "qux"), clientv3.OpGet("dir/", clientv3.WithPrefix())).
		Else(clientv3.OpDelete("foo")).Commit()
	if err != nil || !txn.Succeeded || len(txn.Responses[1].GetResponseRange().Kvs) != 5 {
		t.Fatalf("txn = %+v, %v", txn, err)
	}
	del, err := cli.Delete(ctx, "dir/", clientv3.WithPrefix(), clientv3.WithPrevKV())
	if err != nil || del.Deleted != 5 || len(del.PrevKvs) != 5 {
		t.Fatalf("delete = %+v, %v", del, err)
	}
	if _, err := cli.Compact(ctx, put.Header.Revision+1); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Get(ctx, "foo", clientv3.WithRev(put.Header.Revision)); err == nil {
		t.Fatal("get at a compacted revision succeeded")
	}
	ml, err := cli.MemberList(ctx)
	if err != nil || len(ml.Members) != 3 || len(ml.Members[0].ClientURLs) != 1 {
		t.Fatalf("member list = %+v, %v", ml, err)
	}
	st, err := cli.Status(ctx, c.Spec().Nodes[0].ClientAddr)
	if err != nil || st.Leader == 0 || st.RaftIndex == 0 {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if _, err := cli.Defragment(ctx, c.Spec().Nodes[0].ClientAddr); err == nil || !strings.Contains(err.Error(), "gocli sandbox does not implement etcdserverpb.Maintenance/Defragment") {
		t.Fatalf("defragment: %v, want a clear Unimplemented", err)
	}
}

func TestClientV3Watch(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 30*time.Second)
	first, err := cli.Put(ctx, "w/a", "0")
	if err != nil {
		t.Fatal(err)
	}
	wch := cli.Watch(ctx, "w/", clientv3.WithPrefix(), clientv3.WithRev(first.Header.Revision), clientv3.WithPrevKV())
	if _, err := cli.Put(ctx, "w/b", "1"); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Delete(ctx, "w/a"); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		select {
		case r := <-wch:
			if err := r.Err(); err != nil {
				t.Fatal(err)
			}
			for _, e := range r.Events {
				got = append(got, fmt.Sprintf("%s %s", e.Type, e.Kv.Key))
				if e.Type == mvccpb.DELETE && (e.PrevKv == nil || string(e.PrevKv.Value) != "0") {
					t.Fatalf("delete event without prev kv: %+v", e)
				}
			}
		case <-ctx.Done():
			t.Fatalf("watch got %v before timeout", got)
		}
	}
	want := []string{"PUT w/a", "PUT w/b", "DELETE w/a"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("events = %v, want %v", got, want)
	}
	// A progress request answers every watch on the stream with the
	// current revision.
	if err := cli.RequestProgress(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case r := <-wch:
			if r.IsProgressNotify() {
				if r.Header.Revision < first.Header.Revision+2 {
					t.Fatalf("progress at revision %d, want at least %d", r.Header.Revision, first.Header.Revision+2)
				}
				return
			}
		case <-ctx.Done():
			t.Fatal("no progress notification")
		}
	}
}

func TestClientV3LeaseExpiryDeletesKeys(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 30*time.Second)
	lease, err := cli.Grant(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "ephemeral", "x", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	ttl, err := cli.TimeToLive(ctx, lease.ID, clientv3.WithAttachedKeys())
	if err != nil || len(ttl.Keys) != 1 || ttl.GrantedTTL < 1 {
		t.Fatalf("ttl = %+v, %v", ttl, err)
	}
	wch := cli.Watch(ctx, "ephemeral")
	for {
		select {
		case r := <-wch:
			for _, e := range r.Events {
				if e.Type == mvccpb.DELETE {
					g, err := cli.Get(ctx, "ephemeral")
					if err != nil || len(g.Kvs) != 0 {
						t.Fatalf("after expiry get = %+v, %v", g, err)
					}
					ttl, err := cli.TimeToLive(ctx, lease.ID)
					if err != nil || ttl.TTL != -1 {
						t.Fatalf("ttl after expiry = %+v, %v", ttl, err)
					}
					return
				}
			}
		case <-ctx.Done():
			t.Fatal("lease never expired")
		}
	}
}

func TestClientV3KeepAliveAndRevoke(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 30*time.Second)
	lease, err := cli.Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	ka, err := cli.KeepAliveOnce(ctx, lease.ID)
	if err != nil || ka.TTL != 60 {
		t.Fatalf("keepalive = %+v, %v", ka, err)
	}
	ls, err := cli.Leases(ctx)
	if err != nil || len(ls.Leases) != 1 {
		t.Fatalf("leases = %+v, %v", ls, err)
	}
	if _, err := cli.Put(ctx, "held", "x", clientv3.WithLease(lease.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Revoke(ctx, lease.ID); err != nil {
		t.Fatal(err)
	}
	g, err := cli.Get(ctx, "held")
	if err != nil || len(g.Kvs) != 0 {
		t.Fatalf("key survived revoke: %+v, %v", g, err)
	}
	if _, err := cli.KeepAliveOnce(ctx, lease.ID); err == nil {
		t.Fatal("keepalive of a revoked lease succeeded")
	}
}

func TestConcurrencyMutex(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	ctx := ctxT(t, 60*time.Second)
	const clients, rounds = 3, 5
	var inside, maxInside int
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i := range clients {
		cli := sandboxtest.Client(t, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := concurrency.NewSession(cli, concurrency.WithTTL(5))
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			m := concurrency.NewMutex(s, "/lock/")
			for range rounds {
				if err := m.Lock(ctx); err != nil {
					errs <- fmt.Errorf("client %d lock: %w", i, err)
					return
				}
				mu.Lock()
				inside++
				maxInside = max(maxInside, inside)
				mu.Unlock()
				if _, err := cli.Put(ctx, "/counter", fmt.Sprint(i)); err != nil {
					errs <- err
				}
				mu.Lock()
				inside--
				mu.Unlock()
				if err := m.Unlock(ctx); err != nil {
					errs <- fmt.Errorf("client %d unlock: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if maxInside != 1 {
		t.Fatalf("%d clients held the mutex at once", maxInside)
	}
}

func TestConcurrencyElection(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	ctx := ctxT(t, 60*time.Second)
	cli1, cli2, obs := sandboxtest.Client(t, c), sandboxtest.Client(t, c), sandboxtest.Client(t, c)
	s1, err := concurrency.NewSession(cli1, concurrency.WithTTL(5))
	if err != nil {
		t.Fatal(err)
	}
	defer s1.Close()
	s2, err := concurrency.NewSession(cli2, concurrency.WithTTL(5))
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	so, err := concurrency.NewSession(obs, concurrency.WithTTL(5))
	if err != nil {
		t.Fatal(err)
	}
	defer so.Close()
	e1, e2 := concurrency.NewElection(s1, "/elect/"), concurrency.NewElection(s2, "/elect/")
	observed := concurrency.NewElection(so, "/elect/").Observe(ctx)
	if err := e1.Campaign(ctx, "one"); err != nil {
		t.Fatal(err)
	}
	waitLeader := func(want string) {
		t.Helper()
		for {
			select {
			case r, ok := <-observed:
				if !ok {
					t.Fatalf("observe closed before seeing %q", want)
				}
				if string(r.Kvs[0].Value) == want {
					return
				}
			case <-ctx.Done():
				t.Fatalf("never observed leader %q", want)
			}
		}
	}
	waitLeader("one")
	won := make(chan error, 1)
	go func() { won <- e2.Campaign(ctx, "two") }()
	select {
	case err := <-won:
		t.Fatalf("second candidate won while the first leads: %v", err)
	case <-time.After(300 * time.Millisecond):
		// Campaign must still be blocked: the only way to see that is to
		// give it time to (wrongly) return.
	}
	if err := e1.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-won; err != nil {
		t.Fatal(err)
	}
	waitLeader("two")
	l, err := e2.Leader(ctx)
	if err != nil || string(l.Kvs[0].Value) != "two" {
		t.Fatalf("leader = %+v, %v", l, err)
	}
}
