// Package config reads the service's settings from flags and environment
// variables (USER_*; flags win) and works out the node's ID and
// peers: from flags for local runs, or from the StatefulSet's stable pod
// names inside Kubernetes.
package config

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// EnvPrefix prefixes every environment variable the service reads.
const EnvPrefix = "USER_"

// Peer is one consensus node: its ID and the address of its peer port.
type Peer struct {
	ID   uint64
	Addr string
}

// Config is the validated configuration of one node.
type Config struct {
	// ID is this node's consensus ID (1-based).
	ID uint64
	// Peers lists every node of the cluster, this one included.
	Peers []Peer
	// HTTPAddr serves the JSON API, RaftAddr the peer transport,
	// AdminAddr health, metrics and pprof.
	HTTPAddr, RaftAddr, AdminAddr string
	// DataDir holds the write-ahead log and snapshots.
	DataDir string
	// LogLevel filters the JSON logs on stderr.
	LogLevel slog.Level
	// TickInterval is the consensus clock; elections take about ten ticks.
	TickInterval time.Duration
	// ShutdownTimeout bounds the graceful shutdown on SIGTERM.
	ShutdownTimeout time.Duration
	// RaftListener, when set, replaces listening on RaftAddr. Tests bind
	// every node's listener first so each knows all peer addresses.
	RaftListener net.Listener
}

// Load parses args (without the program name) and the environment. getenv
// is os.Getenv outside tests.
func Load(args []string, getenv func(string) string) (*Config, error) {
	env := func(name, def string) string {
		if v := getenv(EnvPrefix + name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	id := fs.Uint64("id", 0, "node ID; derived from the pod name ($POD_NAME, ordinal+1) when 0")
	peers := fs.String("peers", env("PEERS", ""), "cluster members as id=host:port,... (raft addresses); derived from the StatefulSet when empty")
	httpAddr := fs.String("http-addr", env("HTTP_ADDR", ":8080"), "API listen address")
	raftAddr := fs.String("raft-addr", env("RAFT_ADDR", ":7000"), "peer transport listen address")
	adminAddr := fs.String("admin-addr", env("ADMIN_ADDR", ":9090"), "health, metrics and pprof listen address")
	dataDir := fs.String("data-dir", env("DATA_DIR", "data"), "directory for the WAL and snapshots")
	logLevel := fs.String("log-level", env("LOG_LEVEL", "info"), "debug, info, warn or error")
	tick := fs.Duration("tick", durationEnv(env("TICK", ""), 100*time.Millisecond), "consensus tick interval")
	shutdown := fs.Duration("shutdown-timeout", durationEnv(env("SHUTDOWN_TIMEOUT", ""), 20*time.Second), "graceful shutdown limit")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	c := &Config{
		ID: *id, HTTPAddr: *httpAddr, RaftAddr: *raftAddr, AdminAddr: *adminAddr,
		DataDir: *dataDir, TickInterval: *tick, ShutdownTimeout: *shutdown,
	}
	if err := c.LogLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, fmt.Errorf("log level %q: use debug, info, warn or error", *logLevel)
	}
	if idStr := env("ID", ""); c.ID == 0 && idStr != "" {
		v, err := strconv.ParseUint(idStr, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%sID %q is not a number", EnvPrefix, idStr)
		}
		c.ID = v
	}
	var err error
	if *peers != "" {
		if c.Peers, err = ParsePeers(*peers); err != nil {
			return nil, err
		}
	} else if c.Peers, err = statefulSetPeers(getenv, env, *raftAddr, &c.ID); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Validate checks that the node is one of its peers and durations make
// sense.
func (c *Config) Validate() error {
	var errs []error
	if c.ID == 0 {
		errs = append(errs, errors.New("node ID is 0: pass --id or run in a StatefulSet ($POD_NAME)"))
	}
	found := false
	for _, p := range c.Peers {
		found = found || p.ID == c.ID
	}
	if !found {
		errs = append(errs, fmt.Errorf("node %d is not among the peers %v", c.ID, c.Peers))
	}
	if c.TickInterval <= 0 {
		errs = append(errs, errors.New("tick interval must be positive"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data directory must be set"))
	}
	return errors.Join(errs...)
}

// ParsePeers reads "1=host:port,2=host:port".
func ParsePeers(s string) ([]Peer, error) {
	var out []Peer
	seen := map[uint64]bool{}
	for item := range strings.SplitSeq(s, ",") {
		idStr, addr, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, fmt.Errorf("peer %q: want id=host:port", item)
		}
		id, err := strconv.ParseUint(idStr, 10, 64)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("peer %q: ID must be a positive number", item)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("peer %q: %w", item, err)
		}
		if seen[id] {
			return nil, fmt.Errorf("peer ID %d is listed twice", id)
		}
		seen[id] = true
		out = append(out, Peer{ID: id, Addr: addr})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

// statefulSetPeers derives the node ID from $POD_NAME ("name-2" is node 3)
// and every peer's address from the headless Service:
// name-<i>.<peer service>.<namespace>.svc.<cluster domain>:<raft port>.
func statefulSetPeers(getenv func(string) string, env func(string, string) string, raftAddr string, id *uint64) ([]Peer, error) {
	pod := getenv("POD_NAME")
	if pod == "" {
		return nil, errors.New("no peers: pass --peers id=host:port,... or run in a StatefulSet (POD_NAME, " + EnvPrefix + "PEER_SERVICE, " + EnvPrefix + "REPLICAS)")
	}
	dash := strings.LastIndexByte(pod, '-')
	ordinal, err := strconv.ParseUint(pod[dash+1:], 10, 64)
	if dash < 1 || err != nil {
		return nil, fmt.Errorf("POD_NAME %q does not end in a StatefulSet ordinal", pod)
	}
	if *id == 0 {
		*id = ordinal + 1
	}
	replicas, err := strconv.Atoi(env("REPLICAS", ""))
	if err != nil || replicas < 1 {
		return nil, fmt.Errorf("%sREPLICAS must be a positive number", EnvPrefix)
	}
	svc := env("PEER_SERVICE", "")
	ns := getenv("POD_NAMESPACE")
	if svc == "" || ns == "" {
		return nil, fmt.Errorf("%sPEER_SERVICE and POD_NAMESPACE must be set in a StatefulSet", EnvPrefix)
	}
	_, port, err := net.SplitHostPort(raftAddr)
	if err != nil {
		return nil, fmt.Errorf("raft address %q: %w", raftAddr, err)
	}
	domain := env("CLUSTER_DOMAIN", "cluster.local")
	base := pod[:dash]
	peers := make([]Peer, replicas)
	for i := range peers {
		host := fmt.Sprintf("%s-%d.%s.%s.svc.%s", base, i, svc, ns, domain)
		peers[i] = Peer{ID: uint64(i + 1), Addr: net.JoinHostPort(host, port)}
	}
	return peers, nil
}

func durationEnv(v string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(v); err == nil {
		return d
	}
	return def
}
