package sandbox

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"time"

	"github.com/gocli/gocli/internal/atomicfile"
)

// NodeSpec describes one node: its addresses stay fixed across restarts
// so peers and clients find it again.
type NodeSpec struct {
	ID uint64 `json:"id"`
	// Name is the etcd member name, "node<ID>".
	Name string `json:"name"`
	// ClientAddr serves the etcd v3 gRPC API.
	ClientAddr string `json:"client_addr"`
	// PeerAddr is the raft transport's address.
	PeerAddr string `json:"peer_addr"`
	// HTTPAddr serves the JSON gateway, /health and /metrics.
	HTTPAddr string `json:"http_addr"`
	// DataDir holds the node's WAL and snapshots.
	DataDir string `json:"data_dir"`
	// LogFile receives the node's logs.
	LogFile string `json:"log_file"`
	// Join marks a node added to a running cluster: it must not bootstrap.
	Join bool `json:"join,omitempty"`
}

// ClientURL is the node's gRPC endpoint as etcd clients write it.
func (n NodeSpec) ClientURL() string { return "http://" + n.ClientAddr }

// HTTPURL is the base URL of the node's JSON gateway.
func (n NodeSpec) HTTPURL() string { return "http://" + n.HTTPAddr }

// ClusterSpec is what cluster.json records: enough to restart the cluster
// with the same members, addresses and data.
type ClusterSpec struct {
	Name      string        `json:"name"`
	ClusterID uint64        `json:"cluster_id"`
	Tick      time.Duration `json:"tick"`
	Processes bool          `json:"processes,omitempty"`
	Seed      uint64        `json:"seed"`
	Nodes     []NodeSpec    `json:"nodes"`
	NextID    uint64        `json:"next_id"`
	// BasePort is the first client port (0: ports were picked free).
	BasePort int `json:"base_port,omitempty"`
	// Bootstrapped is set once the cluster has started: a restart then
	// resumes from the data directories instead of bootstrapping.
	Bootstrapped bool `json:"bootstrapped,omitempty"`
}

// Node returns the spec of node id.
func (s ClusterSpec) Node(id uint64) (NodeSpec, bool) {
	for _, n := range s.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return NodeSpec{}, false
}

// Endpoints lists the nodes' gRPC endpoints (host:port).
func (s ClusterSpec) Endpoints() []string {
	out := make([]string, len(s.Nodes))
	for i, n := range s.Nodes {
		out[i] = n.ClientAddr
	}
	return out
}

func clusterID(name string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte("gocli-sandbox/" + name))
	return h.Sum64()
}

const specFile = "cluster.json"

// writeJSON writes v to path atomically (temp file + rename), so a crash
// never leaves a torn file behind.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteBytes(path, 0o600, append(b, '\n'))
}

func readSpec(dir string) (*ClusterSpec, error) {
	b, err := os.ReadFile(filepath.Join(dir, specFile))
	if err != nil {
		return nil, err
	}
	var s ClusterSpec
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, specFile), err)
	}
	return &s, nil
}
