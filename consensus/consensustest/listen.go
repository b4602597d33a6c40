package consensustest

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// ListenLoopback listens on a free TCP port of 127.0.0.1 below the
// kernel's ephemeral range. Nodes that restart on their old port need
// this: a port from the ephemeral range (what ":0" gives) can be taken,
// while its node is down, as the source port of any outgoing connection,
// and the node could then not listen on it again.
func ListenLoopback() (net.Listener, error) {
	lo := ephemeralLow()
	if lo <= 11000 {
		return net.Listen("tcp", "127.0.0.1:0")
	}
	var err error
	for range 200 {
		port := 10000 + rand.IntN(lo-10000)
		var ln net.Listener
		if ln, err = net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			return ln, nil
		}
	}
	return nil, fmt.Errorf("no free loopback port below %d: %w", lo, err)
}

// ephemeralLow returns the start of the kernel's ephemeral port range
// (Linux; elsewhere the IANA default).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 49152
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 49152
	}
	lo, err := strconv.Atoi(f[0])
	if err != nil {
		return 49152
	}
	return lo
}
