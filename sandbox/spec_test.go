package sandbox

import "testing"

// Every address of a new cluster is distinct: the ports of all its nodes
// come from one request to the kernel, which cannot hand out a port twice
// while it holds them all.
func TestNewSpecAddressesDistinct(t *testing.T) {
	for range 100 {
		spec, err := newSpec(Options{Dir: t.TempDir(), Host: "127.0.0.1", Nodes: 10})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]uint64{}
		for _, n := range spec.Nodes {
			for _, a := range []string{n.ClientAddr, n.PeerAddr, n.HTTPAddr} {
				if other, ok := seen[a]; ok {
					t.Fatalf("%s is the address of node %d and node %d", a, other, n.ID)
				}
				seen[a] = n.ID
			}
		}
	}
}
