package etcdapi_test

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gocli/gocli/sandbox/sandboxtest"
)

func keysOf(r *clientv3.GetResponse) string {
	var ks []string
	for _, kv := range r.Kvs {
		ks = append(ks, string(kv.Key))
	}
	return strings.Join(ks, ",")
}

// TestClientV3RangeSortAndFilters drives clientv3's sort and revision
// filter options, which etcd applies before the limit.
func TestClientV3RangeSortAndFilters(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 30*time.Second)
	// Created c, a, b; then a and c rewritten, so create and mod orders differ
	// from key order and from each other.
	revs := map[string]int64{}
	for _, kv := range [][2]string{{"s/c", "3"}, {"s/a", "1"}, {"s/b", "2"}, {"s/a", "9"}, {"s/c", "0"}} {
		r, err := cli.Put(ctx, kv[0], kv[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := revs[kv[0]]; !ok {
			revs[kv[0]] = r.Header.Revision
		}
	}
	pfx := clientv3.WithPrefix()
	tests := []struct {
		name string
		opts []clientv3.OpOption
		want string
		more bool
	}{
		{"by create, ascending", []clientv3.OpOption{clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend)}, "s/c,s/a,s/b", false},
		{"by mod, descending", []clientv3.OpOption{clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortDescend)}, "s/c,s/a,s/b", false},
		{"by value", []clientv3.OpOption{clientv3.WithSort(clientv3.SortByValue, clientv3.SortAscend)}, "s/c,s/b,s/a", false},
		{"by version, descending", []clientv3.OpOption{clientv3.WithSort(clientv3.SortByVersion, clientv3.SortDescend)}, "s/a,s/c,s/b", false},
		{"first created (sort then limit)", []clientv3.OpOption{clientv3.WithFirstCreate()[1], clientv3.WithFirstCreate()[2]}, "s/c", true},
		{"last key", []clientv3.OpOption{clientv3.WithSort(clientv3.SortByKey, clientv3.SortDescend), clientv3.WithLimit(1)}, "s/c", true},
		{"min create revision", []clientv3.OpOption{clientv3.WithMinCreateRev(revs["s/a"])}, "s/a,s/b", false},
		{"max create revision", []clientv3.OpOption{clientv3.WithMaxCreateRev(revs["s/a"])}, "s/a,s/c", false},
		{"min mod revision", []clientv3.OpOption{clientv3.WithMinModRev(revs["s/b"] + 1)}, "s/a,s/c", false},
		{"max mod revision", []clientv3.OpOption{clientv3.WithMaxModRev(revs["s/b"])}, "s/b", false},
		{"filter, sort and limit together", []clientv3.OpOption{clientv3.WithMinModRev(revs["s/b"]), clientv3.WithSort(clientv3.SortByModRevision, clientv3.SortAscend), clientv3.WithLimit(2)}, "s/b,s/a", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := cli.Get(ctx, "s/", append([]clientv3.OpOption{pfx}, tt.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			if got := keysOf(r); got != tt.want || r.More != tt.more || r.Count != 3 {
				t.Fatalf("keys %s more %v count %d; want %s more %v count 3", got, r.More, r.Count, tt.want, tt.more)
			}
		})
	}
	// The same options inside a txn.
	tr, err := cli.Txn(ctx).Then(clientv3.OpGet("s/", pfx, clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortDescend))).Commit()
	if err != nil {
		t.Fatal(err)
	}
	if got := keysOf((*clientv3.GetResponse)(tr.Responses[0].GetResponseRange())); got != "s/b,s/a,s/c" {
		t.Fatalf("txn get sorted by create, descending = %s", got)
	}
}

// TestClientV3TxnCompareRange checks compares over a key range: they hold
// when every key in the range satisfies them.
func TestClientV3TxnCompareRange(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 30*time.Second)
	for _, k := range []string{"q/1", "q/2", "q/3"} {
		if _, err := cli.Put(ctx, k, "ready"); err != nil {
			t.Fatal(err)
		}
	}
	txn := func(cmp clientv3.Cmp) bool {
		t.Helper()
		r, err := cli.Txn(ctx).If(cmp).Then(clientv3.OpPut("q-result", "then")).Commit()
		if err != nil {
			t.Fatal(err)
		}
		return r.Succeeded
	}
	if !txn(clientv3.Compare(clientv3.Value("q/"), "=", "ready").WithPrefix()) {
		t.Fatal("every key in q/ is ready, yet the compare failed")
	}
	if txn(clientv3.Compare(clientv3.Version("q/"), ">", 1).WithPrefix()) {
		t.Fatal("no key in q/ has version 2, yet the compare held")
	}
	if _, err := cli.Put(ctx, "q/2", "busy"); err != nil {
		t.Fatal(err)
	}
	if txn(clientv3.Compare(clientv3.Value("q/"), "=", "ready").WithPrefix()) {
		t.Fatal("q/2 is busy, yet the compare over q/ held")
	}
	if !txn(clientv3.Compare(clientv3.Value("q/1"), "=", "ready").WithRange("q/2")) {
		t.Fatal("[q/1, q/2) holds only q/1, which is ready")
	}
	// An empty range compares as one absent key: create revision 0.
	if !txn(clientv3.Compare(clientv3.CreateRevision("none/"), "=", 0).WithPrefix()) {
		t.Fatal("no key under none/, yet create_revision = 0 failed")
	}
	if !txn(clientv3.Compare(clientv3.ModRevision("q/"), "<", 1<<40).WithRange("\x00")) {
		t.Fatal("from q/ to the end: every mod revision is small")
	}
}

// TestClientV3PutIgnore checks ignore_value and ignore_lease.
func TestClientV3PutIgnore(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 30*time.Second)
	l, err := cli.Grant(ctx, 60)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "ign", "v1", clientv3.WithLease(l.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "ign", "v2", clientv3.WithIgnoreLease()); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Put(ctx, "ign", "", clientv3.WithIgnoreValue()); err != nil {
		t.Fatal(err)
	}
	g, err := cli.Get(ctx, "ign")
	if err != nil || string(g.Kvs[0].Value) != "v2" || g.Kvs[0].Lease != 0 {
		t.Fatalf("after ignore_lease then ignore_value: %+v, %v", g.Kvs, err)
	}
	if _, err := cli.Put(ctx, "missing", "", clientv3.WithIgnoreValue()); err == nil || err.Error() != rpctypes.ErrKeyNotFound.Error() {
		t.Fatalf("ignore_value on a missing key: %v, want %v", err, rpctypes.ErrKeyNotFound)
	}
}

// TestClientV3MemberAddRemove maps MemberAdd and MemberRemove onto the
// sandbox's add-node and remove-node.
func TestClientV3MemberAddRemove(t *testing.T) {
	c := sandboxtest.NewCluster(t, 3)
	cli := sandboxtest.Client(t, c)
	ctx := ctxT(t, 60*time.Second)

	// A peer URL the sandbox can honour: a free port on its host.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	peer := ln.Addr().String()
	ln.Close()
	add, err := cli.MemberAdd(ctx, []string{"http://" + peer})
	if err != nil {
		t.Fatal(err)
	}
	if add.Member.ID != 4 || len(add.Member.PeerURLs) != 1 || add.Member.PeerURLs[0] != "http://"+peer || len(add.Members) != 4 {
		t.Fatalf("member add = %+v", add)
	}
	// The new node runs and serves the data.
	if _, err := cli.Put(ctx, "after-add", "x"); err != nil {
		t.Fatal(err)
	}
	n4, ok := c.Spec().Node(4)
	if !ok {
		t.Fatal("node 4 is not in the cluster spec")
	}
	cli4, err := clientv3.New(clientv3.Config{Endpoints: []string{n4.ClientAddr}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli4.Close()
	if g, err := cli4.Get(ctx, "after-add"); err != nil || len(g.Kvs) != 1 {
		t.Fatalf("read through the new node: %+v, %v", g, err)
	}
	// No peer URL (clientv3 insists on one; etcdserverpb does not): the
	// sandbox picks one.
	raw := pb.NewClusterClient(cli.ActiveConnection())
	add5, err := raw.MemberAdd(ctx, &pb.MemberAddRequest{})
	if err != nil || add5.Member.ID != 5 || len(add5.Members) != 5 {
		t.Fatalf("member add without peer URLs = %+v, %v", add5, err)
	}

	// Peer URLs the sandbox cannot honour.
	for _, tt := range []struct {
		urls []string
		want string
	}{
		{[]string{"http://10.9.9.9:2380"}, "listen on 127.0.0.1 only"},
		{[]string{"https://" + peer}, "plain http"},
		{[]string{"http://127.0.0.1:1", "http://127.0.0.1:2"}, "one peer address"},
		{[]string{"http://" + n4.PeerAddr}, "node 4 already uses that port"},
		{[]string{"127.0.0.1:2390"}, "want http://HOST:PORT"},
	} {
		_, err := raw.MemberAdd(ctx, &pb.MemberAddRequest{PeerURLs: tt.urls})
		if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("member add %v: %v, want InvalidArgument saying %q", tt.urls, err, tt.want)
		}
	}
	if _, err := cli.MemberAddAsLearner(ctx, []string{"http://" + peer}); status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "is_learner") {
		t.Errorf("member add as learner: %v, want Unimplemented naming is_learner", err)
	}
	if ml, _ := cli.MemberList(ctx); len(ml.Members) != 5 {
		t.Fatalf("rejected adds changed the membership: %d members", len(ml.Members))
	}

	// Remove node 5 through a client of node 1.
	cli1, err := clientv3.New(clientv3.Config{Endpoints: []string{c.Spec().Nodes[0].ClientAddr}, DialTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer cli1.Close()
	rm, err := cli1.MemberRemove(ctx, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Members) != 4 {
		t.Fatalf("member remove: %d members left", len(rm.Members))
	}
	for _, m := range rm.Members {
		if m.ID == 5 {
			t.Fatal("node 5 is still a member")
		}
	}
	if _, ok := c.Spec().Node(5); ok {
		t.Fatal("node 5 is still in the cluster spec")
	}
	if _, err := cli1.MemberRemove(ctx, 42); err == nil || err.Error() != rpctypes.ErrMemberNotFound.Error() {
		t.Fatalf("remove an unknown member: %v, want %v", err, rpctypes.ErrMemberNotFound)
	}
	if _, err := cli1.MemberUpdate(ctx, 4, []string{"http://127.0.0.1:1"}); status.Code(err) != codes.Unimplemented {
		t.Fatalf("member update: %v, want Unimplemented", err)
	}
	if _, err := cli1.Put(ctx, fmt.Sprintf("after-remove-%d", 5), "x"); err != nil {
		t.Fatal(err)
	}
}
