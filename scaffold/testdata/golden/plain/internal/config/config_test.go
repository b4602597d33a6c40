package config

import (
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestLoadFlags(t *testing.T) {
	c, err := Load([]string{"--id", "2", "--peers", "1=127.0.0.1:7001,2=127.0.0.1:7002,3=127.0.0.1:7003"}, envMap(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 2 || len(c.Peers) != 3 || c.Peers[1].Addr != "127.0.0.1:7002" {
		t.Fatalf("got %+v", c)
	}
}

func TestLoadStatefulSet(t *testing.T) {
	c, err := Load(nil, envMap(map[string]string{
		"POD_NAME":                 "user-2",
		"POD_NAMESPACE":            "prod",
		EnvPrefix + "PEER_SERVICE": "user-peers",
		EnvPrefix + "REPLICAS":     "3",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.ID != 3 {
		t.Fatalf("ID = %d, want 3 (ordinal 2 + 1)", c.ID)
	}
	want := "user-0.user-peers.prod.svc.cluster.local:7000"
	if c.Peers[0].Addr != want {
		t.Fatalf("peer 1 = %s, want %s", c.Peers[0].Addr, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := map[string]struct {
		args []string
		env  map[string]string
		want string
	}{
		"no peers":       {nil, nil, "no peers"},
		"bad peer":       {[]string{"--id", "1", "--peers", "1:x"}, nil, "want id=host:port"},
		"duplicate peer": {[]string{"--id", "1", "--peers", "1=a:1,1=b:2"}, nil, "listed twice"},
		"not a member":   {[]string{"--id", "4", "--peers", "1=a:1"}, nil, "not among the peers"},
		"bad ordinal":    {nil, map[string]string{"POD_NAME": "web"}, "ordinal"},
		"bad log level":  {[]string{"--id", "1", "--peers", "1=a:1", "--log-level", "loud"}, nil, "log level"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := Load(tt.args, envMap(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}
