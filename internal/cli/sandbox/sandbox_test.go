package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/command/commandtest"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox"
)

// syncBuilder is a strings.Builder safe for the concurrent writes of a
// foreground up and the test reading it.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func testFactory(t *testing.T, root, output string) (*command.Factory, *syncBuilder, *syncBuilder) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := &command.Factory{IO: ios, Globals: &command.Globals{Output: output},
		Sandbox: func() (*sandbox.Manager, error) { return sandbox.NewManager(root), nil }}
	var o, e syncBuilder
	ios.Out, ios.ErrOut = &o, &e
	return f, &o, &e
}

func TestNewCmdUp(t *testing.T) {
	tests := []struct {
		args    []string
		check   func(*UpOptions) bool
		wantErr string
	}{
		{args: nil, check: func(o *UpOptions) bool {
			return o.Name == "dev" && o.Nodes == 3 && o.Tick == 100*time.Millisecond && o.Port == DefaultPort && !o.PortSet && !o.Detach
		}},
		{args: []string{"--name", "big", "--nodes", "5", "--tick", "50ms", "--detach", "--processes", "--port", "0"}, check: func(o *UpOptions) bool {
			return o.Name == "big" && o.Nodes == 5 && o.NodesSet && o.Tick == 50*time.Millisecond && o.Detach && o.Processes && o.Port == 0 && o.PortSet
		}},
		{args: []string{"--nodes", "0"}, wantErr: "--nodes 0"},
		{args: []string{"--nodes", "16"}, wantErr: "1 to 15 nodes"},
		{args: []string{"--tick", "0s"}, wantErr: "--tick"},
		{args: []string{"--name", "Not_OK"}, wantErr: "cluster name"},
		{args: []string{"--port", "70000"}, wantErr: "--port"},
		{args: []string{"extra"}, wantErr: "unknown command"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(t, t.TempDir(), "text")
			var got *UpOptions
			cmd := NewCmdUp(f, func(_ context.Context, o *UpOptions) error { got = o; return nil })
			if commandtest.WantErr(t, commandtest.ParseArgs(t, cmd, tt.args), tt.wantErr) {
				return
			}
			if !tt.check(got) {
				t.Fatalf("opts = %+v", got)
			}
		})
	}
}

// TestFlagErrors checks that bad arguments are usage errors (exit 2)
// before anything runs.
func TestNewCmdBench(t *testing.T) {
	tests := []struct {
		args  []string
		check func(*BenchOptions) bool
	}{
		{[]string{"put"}, func(o *BenchOptions) bool {
			return o.Op == "put" && o.Clients == 64 && o.Conns == 8 && o.Total == 10000 && o.Rate == 0 && o.Duration == 0 && o.Endpoints == nil
		}},
		{[]string{"put", "--rate", "200", "--val-size", "256", "--clients", "8", "--conns", "2", "--total", "2000", "--duration", "30s"}, func(o *BenchOptions) bool {
			return o.Rate == 200 && o.ValSize == 256 && o.Clients == 8 && o.Conns == 2 && o.Total == 2000 && o.Duration == 30*time.Second
		}},
		{[]string{"range", "--consistency", "s", "--endpoints", "127.0.0.1:2379,127.0.0.1:2380"}, func(o *BenchOptions) bool {
			return o.Op == "range" && o.Consistency == "s" && len(o.Endpoints) == 2
		}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(t, t.TempDir(), "text")
			var got *BenchOptions
			cmd := NewCmdBench(f, func(_ context.Context, o *BenchOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			if err := cmd.Execute(); err != nil || got == nil || !tt.check(got) {
				t.Fatalf("opts = %+v, err %v", got, err)
			}
		})
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"kill", "x"}, `node "x"`},
		{[]string{"kill", "0"}, `node "0"`},
		{[]string{"partition", "1"}, "at least two groups"},
		{[]string{"partition", "1,a", "2"}, `"a" is not a node ID`},
		{[]string{"delay", "1"}, "needs --latency"},
		{[]string{"delay", "1", "--latency", "-1ms"}, "between 0 and 1m"},
		{[]string{"drop", "1"}, "needs --rate"},
		{[]string{"drop", "1", "--rate", "2"}, "--rate 2"},
		{[]string{"get", "k", "--consistency", "x"}, "--consistency"},
		{[]string{"put", "k", "v", "--lease", "zz"}, `lease "zz"`},
		{[]string{"lease", "grant", "0"}, `TTL "0"`},
		{[]string{"lease", "timetolive", "zz"}, `lease "zz"`},
		{[]string{"check", "--nemesis", "meteor"}, `nemesis "meteor"`},
		{[]string{"check", "--duration", "10ms"}, "--duration"},
		{[]string{"bench", "scan"}, `operation "scan"`},
		{[]string{"bench", "put", "--clients", "0"}, "positive"},
		{[]string{"bench", "put", "--rate", "-5"}, "rate must be between"},
		{[]string{"bench", "put", "--duration", "-1s"}, "duration must not be negative"},
		{[]string{"logs", "1", "--lines", "-3"}, "--lines"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f, _, _ := testFactory(t, t.TempDir(), "text")
			cmd := NewCmdSandbox(f)
			cmd.SetArgs(tt.args)
			cmd.SilenceUsage, cmd.SilenceErrors = true, true
			err := cmd.Execute()
			var fe *command.FlagError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v (%T), want a FlagError containing %q", err, err, tt.want)
			}
		})
	}
}

func TestParseTxn(t *testing.T) {
	ok := []string{
		"value(\"k\") = \"v\"\n\nput k w\nget k --prefix\n\ndel k\n",
		"mod(\"k\") > \"0\"\nversion(\"k\") != \"3\"\ncreate(\"k\") < \"9\"\n\nput \"a key\" \"a value\"\n",
		"\nput k v\n",
	}
	for _, s := range ok {
		if _, err := parseTxn(s); err != nil {
			t.Errorf("parseTxn(%q): %v", s, err)
		}
	}
	bad := map[string]string{
		"":                              "empty transaction",
		"value(k) = \"v\"\n":            "compare",
		"colour(\"k\") = \"v\"\n":       "unknown target",
		"version(\"k\") = \"many\"\n":   "not a number",
		"\nscan k\n":                    "unknown operation",
		"\nput k\n":                     "want put KEY VALUE",
		"\nput \"k v\n":                 "unterminated quote",
		"\nget k --limit\n":             "unknown flag",
		"value(\"k\") = \"v\"\n\nput\n": "want put",
	}
	for s, want := range bad {
		if _, err := parseTxn(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseTxn(%q) = %v, want %q", s, err, want)
		}
	}
}

// TestRunUpAndUse starts a cluster in the foreground (as `up` does), uses
// it through the commands in text and JSON, breaks and heals it, and
// stops it with Ctrl-C (context cancellation).
func TestRunUpAndUse(t *testing.T) {
	root := t.TempDir()
	f, out, errOut := testFactory(t, root, "text")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	done := make(chan error, 1)
	opts := &UpOptions{Target: Target{Factory: f, Name: "unit"}, Nodes: 3, Tick: 20 * time.Millisecond, Port: 0, PortSet: true,
		Ready: func() { close(ready) }}
	go func() { done <- runUp(ctx, opts) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("up: %v\n%s", err, errOut.String())
	case <-time.After(60 * time.Second):
		t.Fatal("up never became ready")
	}
	upOut := out.String()
	for _, want := range []string{"cluster unit is up: 3 nodes (in-process)", "NODE  ROLE", "etcdctl --endpoints=127.0.0.1:", "control API: unix:"} {
		if !strings.Contains(upOut, want) {
			t.Fatalf("up output lacks %q:\n%s", want, upOut)
		}
	}

	run := func(output string, args ...string) (string, error) {
		t.Helper()
		f, out, _ := testFactory(t, root, output)
		cmd := NewCmdSandbox(f)
		if args[0] != "list" {
			args = append(args, "--name", "unit")
		}
		cmd.SetArgs(args)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		err := cmd.ExecuteContext(ctx)
		return out.String(), err
	}
	must := func(output string, args ...string) string {
		t.Helper()
		s, err := run(output, args...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return s
	}
	if s := must("text", "put", "greeting", "hello"); s != "OK\n" {
		t.Fatalf("put = %q", s)
	}
	if s := must("text", "get", "greeting"); s != "greeting\nhello\n" {
		t.Fatalf("get = %q", s)
	}
	var g getResult
	if err := json.Unmarshal([]byte(must("json", "get", "greet", "--prefix")), &g); err != nil || len(g.KVs) != 1 || g.KVs[0].Value != "hello" || g.KVs[0].Version != 1 {
		t.Fatalf("get -o json = %+v, %v", g, err)
	}
	if s := must("text", "del", "greeting"); s != "1\n" {
		t.Fatalf("del = %q", s)
	}
	// txn reads etcdctl's syntax from stdin.
	{
		f, out, _ := testFactory(t, root, "text")
		f.IO.In = strings.NewReader("version(\"greeting\") = \"0\"\n\nput greeting hi\nget greeting\n\nput greeting never\n")
		cmd := NewCmdSandbox(f)
		cmd.SetArgs([]string{"txn", "--name", "unit"})
		if err := cmd.ExecuteContext(ctx); err != nil || out.String() != "SUCCESS\n\nOK\n\ngreeting\nhi\n" {
			t.Fatalf("txn = %q, %v", out.String(), err)
		}
	}
	// watch prints events until its context ends.
	{
		f, out, _ := testFactory(t, root, "text")
		wctx, wcancel := context.WithCancel(ctx)
		cmd := NewCmdSandbox(f)
		cmd.SetArgs([]string{"watch", "w/", "--prefix", "--name", "unit"})
		wdone := make(chan error, 1)
		go func() { wdone <- cmd.ExecuteContext(wctx) }()
		deadline := time.Now().Add(20 * time.Second)
		for i := 0; !strings.Contains(out.String(), "PUT\nw/k\n"); i++ {
			if time.Now().After(deadline) {
				t.Fatalf("watch printed %q", out.String())
			}
			must("text", "put", "w/k", "v")
			time.Sleep(50 * time.Millisecond)
		}
		wcancel()
		if err := <-wdone; err != nil {
			t.Fatalf("watch after cancel: %v", err)
		}
	}
	var lr leaseResult
	if err := json.Unmarshal([]byte(must("json", "lease", "grant", "30")), &lr); err != nil || lr.ID == "" || lr.TTL != 30 {
		t.Fatalf("lease grant -o json = %+v, %v", lr, err)
	}
	must("text", "put", "leased/1", "v", "--lease", lr.ID)
	if s := must("text", "lease", "list"); !strings.Contains(s, "found 1 leases\n"+lr.ID+"\n") {
		t.Fatalf("lease list = %q, want lease %s", s, lr.ID)
	}
	var ttl leaseTTLResult
	if err := json.Unmarshal([]byte(must("json", "lease", "timetolive", lr.ID, "--keys")), &ttl); err != nil ||
		ttl.GrantedTTL != 30 || ttl.TTL <= 0 || ttl.TTL > 30 || len(ttl.Keys) != 1 || ttl.Keys[0] != "leased/1" {
		t.Fatalf("lease timetolive --keys -o json = %+v, %v", ttl, err)
	}
	if s := must("text", "lease", "timetolive", lr.ID, "--keys"); !strings.Contains(s, "granted with TTL(30s)") || !strings.Contains(s, "attached keys([leased/1])") {
		t.Fatalf("lease timetolive --keys = %q", s)
	}
	if s := must("text", "lease", "revoke", lr.ID); !strings.Contains(s, "revoked") {
		t.Fatalf("lease revoke = %q", s)
	}
	if s := must("text", "lease", "timetolive", lr.ID); !strings.Contains(s, "already expired") {
		t.Fatalf("lease timetolive after revoke = %q", s)
	}
	if s := must("text", "lease", "list"); !strings.HasPrefix(s, "found 0 leases") {
		t.Fatalf("lease list after revoke = %q", s)
	}
	var st sandbox.Status
	if err := json.Unmarshal([]byte(must("json", "status")), &st); err != nil || st.Leader == 0 || len(st.Nodes) != 3 {
		t.Fatalf("status -o json = %+v, %v", st, err)
	}
	for _, n := range st.Nodes {
		if n.WALSize <= 0 || n.Match == 0 || n.Next == 0 {
			t.Fatalf("status -o json: node %d lacks WAL size or match/next: %+v", n.ID, n)
		}
	}
	if s := must("text", "status", "--wide"); !strings.Contains(s, "HEALTH   WAL") || !strings.Contains(s, "SNAPSHOT  MATCH  NEXT  RSS") || !strings.Contains(s, "process RSS: ") {
		t.Fatalf("status --wide = %q", s)
	}
	victim := st.Leader%3 + 1
	if s := must("text", "kill", nodeArg(victim)); !strings.Contains(s, "killed node") {
		t.Fatalf("kill = %q", s)
	}
	if _, err := run("text", "kill", nodeArg(victim)); !isExit(err, 1) {
		t.Fatalf("second kill: %v, want exit 1", err)
	}
	if _, err := run("text", "kill", "9"); !isExit(err, 2) {
		t.Fatalf("kill 9: %v, want exit 2", err)
	}
	must("text", "restart", nodeArg(victim))
	must("text", "partition", "1", "2,3")
	if s := must("text", "status"); !strings.Contains(s, "faults: partition 1 | 2,3") || !strings.Contains(s, "ID  ROLE") {
		t.Fatalf("status text = %q", s)
	}
	must("text", "heal")
	if s := must("text", "logs", "1", "-n", "2"); strings.Count(s, "\n") != 2 {
		t.Fatalf("logs -n 2 = %q", s)
	}
	if s := must("text", "list"); !strings.Contains(s, "unit") || !strings.Contains(s, "running") {
		t.Fatalf("list = %q", s)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("up after Ctrl-C: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("up did not stop on Ctrl-C")
	}
	ctx = context.Background()
	if _, err := run("text", "status"); !isExit(err, 1) {
		t.Fatalf("status of a stopped cluster: %v, want exit 1", err)
	}
	if s := must("text", "list"); !strings.Contains(s, "stopped") {
		t.Fatalf("list after stop = %q", s)
	}
	if _, err := run("text", "down"); !isExit(err, 1) {
		t.Fatalf("down of a stopped cluster: %v, want exit 1", err)
	}
	var dr downResult
	if err := json.Unmarshal([]byte(must("json", "down", "--purge")), &dr); err != nil || !dr.Purged || dr.Stopped {
		t.Fatalf("down --purge = %+v, %v", dr, err)
	}
	if _, err := run("text", "down"); !isExit(err, 2) {
		t.Fatalf("down of a purged cluster: %v, want exit 2", err)
	}
}

func TestStatusText(t *testing.T) {
	st := sandbox.Status{Name: "dev", Leader: 1, Term: 2, Processes: true, Nodes: []sandbox.NodeStatus{
		{ID: 1, Role: "leader", Term: 2, Commit: 40, Applied: 40, Endpoint: "127.0.0.1:2379", Health: "healthy",
			WALSize: 3 << 20, SnapshotIndex: 10, Match: 40, Next: 41, RSS: 101 << 20, AnonRSS: 13 << 20},
		{ID: 2, Role: "follower", Term: 2, Commit: 40, Applied: 38, Lag: 2, Endpoint: "127.0.0.1:2380", Health: "healthy",
			WALSize: 1536, Match: 38, Next: 41, RSS: 100 << 20, AnonRSS: 12 << 20},
		{ID: 3, Role: "stopped", Endpoint: "127.0.0.1:2381", Health: "down"},
	}}
	tests := []struct {
		name string
		wide bool
		want string
	}{
		{"narrow", false, `cluster dev: leader 1, term 2 (processes, 3 nodes)
ID  ROLE      TERM  COMMIT  APPLIED  LAG  ENDPOINT        HEALTH
1   leader    2     40      40       0    127.0.0.1:2379  healthy
2   follower  2     40      38       2    127.0.0.1:2380  healthy
3   stopped   0     0       0        0    127.0.0.1:2381  down
`},
		{"wide", true, `cluster dev: leader 1, term 2 (processes, 3 nodes)
ID  ROLE      TERM  COMMIT  APPLIED  LAG  ENDPOINT        HEALTH   WAL      SNAPSHOT  MATCH  NEXT  RSS      ANON
1   leader    2     40      40       0    127.0.0.1:2379  healthy  3.0 MiB  10        40     41    101 MiB  13 MiB
2   follower  2     40      38       2    127.0.0.1:2380  healthy  1.5 KiB  0         38     41    100 MiB  12 MiB
3   stopped   0     0       0        0    127.0.0.1:2381  down     -        0         0      0     -        -
`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b strings.Builder
			ios, _, _, _ := iostreams.Test()
			if err := (statusResult{Status: st, wide: tt.wide}).WriteText(&b, ios.ColorScheme()); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Fatalf("got\n%s\nwant\n%s", b.String(), tt.want)
			}
		})
	}
}

func nodeArg(id uint64) string { return string(rune('0' + id)) }

func isExit(err error, code int) bool {
	var ee *command.ExitError
	if errors.As(err, &ee) {
		return ee.Code == code
	}
	var fe *command.FlagError
	return code == 2 && errors.As(err, &fe)
}
