package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"

	"github.com/gocli/gocli/consensus"
)

// NodeOptions are what a child node needs from its caller.
type NodeOptions struct {
	// Membership, when set, returns what serves the etcd API's MemberAdd
	// and MemberRemove for the cluster in clusterDir (the CLI passes a
	// control API client: the parent process owns the membership).
	// Without it those calls answer Unimplemented.
	Membership func(clusterDir string) (MembershipChanger, error)
}

// RunNode runs one node of a --processes cluster from the spec file the
// parent wrote, until ctx ends or the parent process goes away. It is the
// body of the hidden `gocli sandbox node` command. The returned exit code
// tells the parent why it stopped (3: a port was in use).
func RunNode(ctx context.Context, specPath string, opts NodeOptions) (int, error) {
	b, err := os.ReadFile(specPath)
	if err != nil {
		return 2, err
	}
	var cs childSpec
	if err := json.Unmarshal(b, &cs); err != nil {
		return 2, fmt.Errorf("read node spec %s: %w", specPath, err)
	}
	filter := NewFilter(cs.Seed)
	filter.Set(cs.Faults)
	cfg := nodeConfig{
		spec: cs.Node, peers: cs.Peers, tick: cs.Tick, clusterID: cs.ClusterID, filter: filter,
		members: func() []*pb.Member {
			spec, err := readSpec(cs.ClusterDir)
			if err != nil {
				return nil
			}
			return specMembers(spec.Nodes)
		},
		extra: func(mux *http.ServeMux, ns *nodeServer) { agentHandlers(mux, ns, filter) },
	}
	if opts.Membership != nil {
		cfg.membership = func() (MembershipChanger, error) { return opts.Membership(cs.ClusterDir) }
	}
	ns, err := startNodeServer(cfg)
	if err != nil {
		if errors.Is(err, ErrPortInUse) {
			return exitPortInUse, err
		}
		return 1, err
	}
	// The process is the whole gocli executable; what a node needs of it
	// is a fraction of what initialising every command touched.
	defer ReleaseStartupPages(10 * time.Second)()
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return 0, ns.stop()
		case <-t.C:
			// An orphan (the parent died without stopping us) stops too.
			if cs.ParentPID != 0 && os.Getppid() != cs.ParentPID {
				return 0, ns.stop()
			}
		case <-ns.kv.Node().Done():
			_ = ns.stop()
			return 1, fmt.Errorf("node stopped: %w", ns.kv.Node().Err())
		}
	}
}

// waitLeaderChange answers GET /sandbox/v1/leader: the node's leader and
// term, at once, or with ?leader=L&term=T&wait=D once they differ from L
// and T, or after D (at most a minute). The parent's event poller watches
// a child with these long polls: polling every tick instead woke an idle
// child ten times a second and grew its heap by an HTTP exchange each time.
func waitLeaderChange(r *http.Request, n *consensus.Node) (leaderTerm, error) {
	q := r.URL.Query()
	now := func() leaderTerm { return leaderTerm{Leader: n.Leader(), Term: n.Term()} }
	if !q.Has("wait") {
		return now(), nil
	}
	wait, err := time.ParseDuration(q.Get("wait"))
	if err != nil || wait < 0 || wait > time.Minute {
		return leaderTerm{}, fmt.Errorf("wait %q: want a duration up to 1m", q.Get("wait"))
	}
	known := leaderTerm{}
	known.Leader, _ = strconv.ParseUint(q.Get("leader"), 10, 64)
	known.Term, _ = strconv.ParseUint(q.Get("term"), 10, 64)
	// Subscribed before the first look, so that no change falls between.
	events, unsubscribe := n.Events(8)
	defer unsubscribe()
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		if lt := now(); lt != known {
			return lt, nil
		}
		select {
		case _, ok := <-events:
			if !ok { // the node stopped
				return now(), nil
			}
		case <-t.C:
			return now(), nil
		case <-r.Context().Done():
			return now(), nil
		}
	}
}

// agentHandlers are the endpoints the parent drives a child node with.
// They listen on the node's loopback HTTP port beside the gateway.
func agentHandlers(mux *http.ServeMux, ns *nodeServer, filter *Filter) {
	n := ns.kv.Node()
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	reply := func(w http.ResponseWriter, v any, err error) {
		if err != nil {
			retry := errors.Is(err, consensus.ErrProposalDropped) || errors.Is(err, consensus.ErrNotProposed) ||
				errors.Is(err, context.DeadlineExceeded) || errors.Is(err, consensus.ErrStopped)
			writeJSON(w, http.StatusConflict, agentError{Message: err.Error(), Retryable: retry})
			return
		}
		if v == nil {
			v = struct{}{}
		}
		writeJSON(w, http.StatusOK, v)
	}
	decode := func(r *http.Request, v any) error { return json.NewDecoder(r.Body).Decode(v) }
	mux.HandleFunc("GET /sandbox/v1/status", func(w http.ResponseWriter, _ *http.Request) { reply(w, n.Status(), nil) })
	mux.HandleFunc("GET /sandbox/v1/leader", func(w http.ResponseWriter, r *http.Request) {
		lt, err := waitLeaderChange(r, n)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, agentError{Message: err.Error()})
			return
		}
		reply(w, lt, nil)
	})
	mux.HandleFunc("PUT /sandbox/v1/faults", func(w http.ResponseWriter, r *http.Request) {
		var f FaultSpec
		if err := decode(r, &f); err != nil {
			reply(w, nil, err)
			return
		}
		filter.Set(f)
		reply(w, nil, nil)
	})
	mux.HandleFunc("POST /sandbox/v1/members/add", func(w http.ResponseWriter, r *http.Request) {
		var m memberReq
		if err := decode(r, &m); err != nil {
			reply(w, nil, err)
			return
		}
		reply(w, nil, n.AddMember(r.Context(), m.ID, m.Addr))
	})
	mux.HandleFunc("POST /sandbox/v1/members/remove", func(w http.ResponseWriter, r *http.Request) {
		var m memberReq
		if err := decode(r, &m); err != nil {
			reply(w, nil, err)
			return
		}
		reply(w, nil, n.RemoveMember(r.Context(), m.ID))
	})
	mux.HandleFunc("POST /sandbox/v1/transfer", func(w http.ResponseWriter, r *http.Request) {
		var m memberReq
		if err := decode(r, &m); err != nil {
			reply(w, nil, err)
			return
		}
		reply(w, nil, n.TransferLeadership(r.Context(), m.ID))
	})
}
