package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/kv"
	"github.com/gocli/gocli/consensus/rawconn"
	"github.com/gocli/gocli/sandbox/etcdapi"
)

// nodeServer is one running node: the kv server on the consensus engine,
// the etcd gRPC API and the HTTP port. Both execution modes use it: the
// in-process cluster holds several, a child process holds one.
type nodeServer struct {
	spec   NodeSpec
	kv     *kv.Server
	api    *etcdapi.Server
	grpc   *grpc.Server
	http   *http.Server
	logF   *os.File
	paused atomic.Bool
	wg     sync.WaitGroup
}

type nodeConfig struct {
	spec      NodeSpec
	peers     []consensus.Peer
	tick      time.Duration
	clusterID uint64
	filter    consensus.Filter
	members   func() []*pb.Member
	// membership, when set, serves the etcd API's MemberAdd/MemberRemove.
	membership func() (MembershipChanger, error)
	// extra, when set, adds handlers to the node's HTTP mux (the child
	// process's agent endpoints).
	extra func(*http.ServeMux, *nodeServer)
}

// listenAll binds every address or none: a port in use must not leave
// the other listeners open.
func listenAll(addrs ...string) ([]net.Listener, error) {
	var lns []net.Listener
	for _, a := range addrs {
		ln, err := net.Listen("tcp", a)
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, portError(a, err)
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

// ErrPortInUse is wrapped when a node's address is already taken.
var ErrPortInUse = errors.New("port already in use")

func portError(addr string, err error) error {
	if errors.Is(err, syscallEADDRINUSE) {
		return fmt.Errorf("listen on %s: %w (another process holds it; choose other ports with --port)", addr, ErrPortInUse)
	}
	return fmt.Errorf("listen on %s: %w", addr, err)
}

func startNodeServer(cfg nodeConfig) (*nodeServer, error) {
	spec := cfg.spec
	lns, err := listenAll(spec.ClientAddr, spec.PeerAddr, spec.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("node %d: %w", spec.ID, err)
	}
	closeAll := func() {
		for _, l := range lns {
			l.Close()
		}
	}
	if err := os.MkdirAll(spec.DataDir, 0o700); err != nil {
		closeAll()
		return nil, fmt.Errorf("node %d: %w", spec.ID, err)
	}
	logF, err := os.OpenFile(spec.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("node %d: open log: %w", spec.ID, err)
	}
	logger := slog.New(slog.NewTextHandler(logF, &slog.HandlerOptions{Level: slog.LevelInfo}))

	ccfg := consensus.DefaultConfig()
	ccfg.ID = spec.ID
	ccfg.DataDir = spec.DataDir
	ccfg.Listener = lns[1]
	ccfg.Peers = cfg.peers
	ccfg.Join = spec.Join
	ccfg.TickInterval = cfg.tick
	ccfg.Filter = cfg.filter
	ccfg.Logger = logger
	reg := prometheus.NewRegistry()
	ccfg.Registerer = reg
	ks, err := kv.Start(ccfg)
	if err != nil {
		closeAll()
		logF.Close()
		return nil, fmt.Errorf("node %d: start: %w", spec.ID, err)
	}
	electionSecs := int64((cfg.tick*time.Duration(ccfg.ElectionTicks)*3/2 + time.Second - 1) / time.Second)
	ns := &nodeServer{spec: spec, kv: ks, logF: logF}
	ns.api = etcdapi.New(ks, etcdapi.Options{
		ClusterID:      cfg.clusterID,
		Members:        cfg.members,
		Paused:         ns.paused.Load,
		MinLeaseTTL:    max(electionSecs, 1),
		Membership:     membershipOf(cfg.membership),
		RequestTimeout: 5*time.Second + 2*cfg.tick*time.Duration(ccfg.ElectionTicks),
	})
	ns.grpc = grpc.NewServer(
		grpc.ChainUnaryInterceptor(ns.api.UnaryInterceptor),
		grpc.ChainStreamInterceptor(ns.api.StreamInterceptor),
		grpc.MaxRecvMsgSize(2<<20),
		// Fixed flow-control windows turn off grpc's bandwidth-delay
		// estimation, whose pings each client connection must answer:
		// 10000 puts from 64 clients cost the client 12163 write calls
		// with it and 9891 without, and a 3-node --processes sandbox
		// served 3328-3483 puts/s instead of 2907-2911 (docs/sandbox-performance.md).
		// On loopback 1 MiB is never the limit.
		grpc.InitialWindowSize(1<<20),
		grpc.InitialConnWindowSize(1<<20),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}),
	)
	ns.api.Register(ns.grpc)

	mux := http.NewServeMux()
	gw := etcdapi.Gateway(ns.api)
	mux.Handle("/v3/", gw)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if ks.Node().Leader() == 0 || ns.paused.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, `{"health":"false","reason":"no leader"}`)
			return
		}
		fmt.Fprintln(w, `{"health":"true","reason":""}`)
	})
	if cfg.extra != nil {
		cfg.extra(mux, ns)
	}
	ns.http = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}

	ns.wg.Add(2)
	go func() {
		defer ns.wg.Done()
		_ = ns.grpc.Serve(rawconn.Listen(lns[0]))
	}()
	go func() {
		defer ns.wg.Done()
		_ = ns.http.Serve(rawconn.Listen(lns[2]))
	}()
	nodeStarted()
	logger.Info("node started", "client", spec.ClientAddr, "peer", spec.PeerAddr, "http", spec.HTTPAddr)
	return ns, nil
}

func membershipOf(changer func() (MembershipChanger, error)) etcdapi.Membership {
	if changer == nil {
		return nil
	}
	return etcdMembership{changer: changer}
}

// stop closes client connections first (so in-flight requests fail fast
// rather than hang on a stopped engine), then the engine.
func (ns *nodeServer) stop() error {
	ns.grpc.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	_ = ns.http.Shutdown(ctx)
	cancel()
	_ = ns.http.Close()
	err := ns.kv.Close()
	ns.wg.Wait()
	nodeStopped()
	slog.New(slog.NewTextHandler(ns.logF, nil)).Info("node stopped", "node", ns.spec.ID)
	ns.logF.Close()
	return err
}

func nodeDir(clusterDir string, id uint64) string {
	return filepath.Join(clusterDir, "nodes", fmt.Sprintf("%d", id))
}
