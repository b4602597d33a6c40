package dashboard

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gocli/gocli/dashboard"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/command/commandtest"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/internal/config"
	"github.com/gocli/gocli/sandbox"
)

func TestNewCmdDashboard(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{"defaults", nil, Options{Name: "dev", Refresh: dashboard.DefaultRefresh}, ""},
		{"name once", []string{"--name", "big", "--once"}, Options{Name: "big", Once: true, Refresh: dashboard.DefaultRefresh}, ""},
		{"endpoints", []string{"--endpoints", "127.0.0.1:2379,10.0.0.2:2379", "--refresh", "5s"},
			Options{Name: "dev", Endpoints: []string{"127.0.0.1:2379", "10.0.0.2:2379"}, Refresh: 5 * time.Second}, ""},
		{"name and endpoints", []string{"--name", "x", "--endpoints", "a:1"}, Options{}, "cannot be used together"},
		{"bad endpoint", []string{"--endpoints", "localhost"}, Options{}, "is not host:port"},
		{"bad name", []string{"--name", "Bad_Name"}, Options{}, "--name"},
		{"bad refresh", []string{"--refresh", "0s"}, Options{}, "--refresh"},
		{"args", []string{"extra"}, Options{}, "unknown command"},
		{"name from gocli.yaml", nil, Options{Name: "fromcfg", Refresh: dashboard.DefaultRefresh}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &command.Factory{Globals: &command.Globals{Output: "text"}}
			if tt.name == "name from gocli.yaml" {
				f.Config = func() (*config.Config, error) { return &config.Config{Sandbox: config.Sandbox{Name: "fromcfg"}}, nil }
			}
			var got *Options
			cmd := NewCmdDashboard(f, func(_ context.Context, o *Options) error { got = o; return nil })
			err := commandtest.ParseArgs(t, cmd, tt.args)
			if commandtest.WantErr(t, err, tt.wantErr) {
				var fe *command.FlagError
				if !errors.As(err, &fe) && tt.name != "args" {
					t.Fatalf("err = %T, want a FlagError (exit 2)", err)
				}
				return
			}
			if got.Name != tt.want.Name || got.Once != tt.want.Once || got.Refresh != tt.want.Refresh || !slices.Equal(got.Endpoints, tt.want.Endpoints) {
				t.Fatalf("opts = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// statusOnly serves a fixed status; the fault methods are never called
// by these tests.
type statusOnly struct {
	dashboard.ControlClient
	st  sandbox.Status
	err error
}

func (s statusOnly) Status(context.Context) (sandbox.Status, error) { return s.st, s.err }

func testStatus() sandbox.Status {
	return sandbox.Status{Name: "dev", Leader: 2, Term: 3,
		Nodes: []sandbox.NodeStatus{
			{ID: 1, Role: "follower", Term: 3, Commit: 40, Applied: 38, Lag: 2, Health: "healthy", Endpoint: "127.0.0.1:2379"},
			{ID: 2, Role: "leader", Term: 3, Commit: 40, Applied: 40, Health: "healthy", Endpoint: "127.0.0.1:2380"},
			{ID: 3, Role: "stopped", Health: "down", Endpoint: "127.0.0.1:2381"},
		},
		Faults: sandbox.FaultSpec{Partition: [][]uint64{{1}, {2, 3}}},
	}
}

func TestRunDashboard(t *testing.T) {
	const text = `dev: leader 2, term 3, 2/3 healthy
ID  ROLE      TERM  COMMIT  APPLIED  LAG  HEALTH   ENDPOINT
1   follower  3     40      38       2    healthy  127.0.0.1:2379
2*  leader    3     40      40       0    healthy  127.0.0.1:2380
3   stopped   0     0       0        0    down     127.0.0.1:2381
faults: partition 1 | 2,3
`
	tests := []struct {
		name     string
		output   string
		tty      bool
		once     bool
		wantText string
		wantTUI  bool
	}{
		{"no terminal", "text", false, false, text, false},
		{"once on a terminal", "text", true, true, text, false},
		{"json", "json", true, false, "", false},
		{"terminal", "text", true, false, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetStdinTTY(tt.tty)
			f := &command.Factory{IO: ios, Globals: &command.Globals{Output: tt.output}}
			ranTUI := false
			opts := &Options{Factory: f, Name: "dev", Once: tt.once, Refresh: time.Second,
				Connect: func(context.Context, *Options) (dashboard.ControlClient, func(), error) {
					return statusOnly{st: testStatus()}, func() {}, nil
				},
				Run: func(_ context.Context, m *dashboard.Model, _ *iostreams.IOStreams) error {
					ranTUI = m != nil
					return nil
				},
			}
			if err := runDashboard(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
			if ranTUI != tt.wantTUI {
				t.Fatalf("interactive = %v, want %v", ranTUI, tt.wantTUI)
			}
			switch {
			case tt.output == "json":
				var got dashboard.Overview
				if err := json.Unmarshal(out.Bytes(), &got); err != nil {
					t.Fatalf("decode %q: %v", out.String(), err)
				}
				if got.Leader != 2 || got.Healthy != 2 || len(got.Nodes) != 3 || got.FaultsText != "partition 1 | 2,3" {
					t.Fatalf("json = %+v", got)
				}
			case tt.wantTUI:
				if out.Len() != 0 {
					t.Fatalf("printed %q before the interactive view", out.String())
				}
			default:
				if out.String() != tt.wantText {
					t.Fatalf("got\n%s\nwant\n%s", out.String(), tt.wantText)
				}
			}
		})
	}
}

func TestRunDashboardUnreachable(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &command.Factory{IO: ios, Globals: &command.Globals{Output: "text"}}
	opts := &Options{Factory: f, Name: "dev", Refresh: time.Second,
		Connect: func(context.Context, *Options) (dashboard.ControlClient, func(), error) {
			return statusOnly{err: errors.New("connection refused")}, func() {}, nil
		},
	}
	err := runDashboard(context.Background(), opts)
	var ee *command.ExitError
	if !errors.As(err, &ee) || ee.Code != command.ExitProblems || ee.Hint == "" {
		t.Fatalf("err = %#v, want exit 1 with a hint", err)
	}
}

func TestConnectUnknownCluster(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := t.TempDir()
	f := &command.Factory{IO: ios, Globals: &command.Globals{Output: "text"},
		Sandbox: func() (*sandbox.Manager, error) { return sandbox.NewManager(root), nil }}
	_, _, err := connect(context.Background(), &Options{Factory: f, Name: "nope"})
	var ee *command.ExitError
	if !errors.As(err, &ee) || ee.Code != command.ExitUsage || !strings.Contains(ee.Hint, "gocli sandbox up") {
		t.Fatalf("err = %#v, want exit 2 with a start hint", err)
	}
}
