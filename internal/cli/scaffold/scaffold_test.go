package scaffold

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"testing/iotest"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/command/commandtest"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/internal/config"
)

func TestNewCmdScaffold(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    Options
		wantErr string
	}{
		{"service only", []string{"--service", "user"}, Options{Service: "user"}, ""},
		{"short flags", []string{"-s", "user", "-t", "istio", "-m", "github.com/acme/user", "-d", "svc/user"},
			Options{Service: "user", Template: "istio", Module: "github.com/acme/user", Dir: "svc/user"}, ""},
		{"everything", []string{"--service=user", "--replicas", "5", "--force", "--dry-run"},
			Options{Service: "user", Replicas: 5, Force: true, DryRun: true}, ""},
		{"negative replicas", []string{"--service", "user", "--replicas", "-1"}, Options{}, "--replicas must be positive"},
		{"positional arg", []string{"user"}, Options{}, "unknown command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := &command.Factory{IO: ios, Globals: &command.Globals{Output: "text"}}
			var got *Options
			cmd := NewCmdScaffold(f, func(_ context.Context, o *Options) error { got = o; return nil })
			if commandtest.WantErr(t, commandtest.ParseArgs(t, cmd, tt.args), tt.wantErr) {
				return
			}
			if got.Service != tt.want.Service || got.Template != tt.want.Template || got.Module != tt.want.Module ||
				got.Dir != tt.want.Dir || got.Replicas != tt.want.Replicas || got.Force != tt.want.Force || got.DryRun != tt.want.DryRun {
				t.Fatalf("opts = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func fakeEngine() (fs.FS, error) {
	return fstest.MapFS{"consensus/doc.go": {Data: []byte("// Package consensus is the engine.\npackage consensus\n")}}, nil
}

type testEnv struct {
	opts     *Options
	out, err *bytes.Buffer
	ios      *iostreams.IOStreams
	in       *bytes.Buffer
	parent   string
}

func newTestEnv(t *testing.T, output string, cfg config.Scaffold) *testEnv {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	f := &command.Factory{
		IO:      ios,
		Globals: &command.Globals{Output: output},
		Config:  func() (*config.Config, error) { return &config.Config{Scaffold: cfg}, nil },
	}
	parent := t.TempDir()
	return &testEnv{
		opts: &Options{
			Factory: f,
			Engine:  fakeEngine,
			Version: func() string { return "v0.0.0-test" },
			Prompt:  func(*Options) error { t.Fatal("prompted without a terminal"); return nil },
		},
		out: out, err: errOut, ios: ios, in: in, parent: parent,
	}
}

func exitCode(err error) int {
	var fe *command.FlagError
	var ee *command.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &fe):
		return command.ExitUsage
	case errors.As(err, &ee):
		return ee.Code
	}
	return 1
}

func TestRunScaffold(t *testing.T) {
	t.Run("writes the project, text on a TTY", func(t *testing.T) {
		e := newTestEnv(t, "text", config.Scaffold{})
		e.ios.SetStdoutTTY(true)
		e.opts.Service, e.opts.Dir = "user", filepath.Join(e.parent, "user")
		if err := runScaffold(context.Background(), e.opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.out.String(), "user: ") || !strings.Contains(e.out.String(), "plain template, 3 replicas") || !strings.Contains(e.out.String(), "go test ./...") {
			t.Fatalf("stdout = %q", e.out.String())
		}
		if _, err := os.Stat(filepath.Join(e.parent, "user", "cmd", "user", "main.go")); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("lists files when not a TTY", func(t *testing.T) {
		e := newTestEnv(t, "text", config.Scaffold{})
		e.opts.Service, e.opts.Dir = "user", filepath.Join(e.parent, "user")
		if err := runScaffold(context.Background(), e.opts); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(e.out.String(), "create  go.mod") {
			t.Fatalf("stdout = %q", e.out.String())
		}
	})
	t.Run("dry run json writes nothing", func(t *testing.T) {
		e := newTestEnv(t, "json", config.Scaffold{})
		e.opts.Service, e.opts.Template, e.opts.DryRun = "user", "istio", true
		e.opts.Dir = filepath.Join(e.parent, "user")
		if err := runScaffold(context.Background(), e.opts); err != nil {
			t.Fatal(err)
		}
		var plan struct {
			Spec struct {
				Service, Module, Template string
			}
			DryRun bool
			Files  []struct {
				Path, Action string
			}
		}
		if err := json.Unmarshal(e.out.Bytes(), &plan); err != nil {
			t.Fatalf("stdout is not JSON: %v\n%s", err, e.out.String())
		}
		if !plan.DryRun || plan.Spec.Template != "istio" || plan.Spec.Module != "example.com/user" || len(plan.Files) < 30 || plan.Files[0].Action != "create" {
			t.Fatalf("plan = %+v", plan)
		}
		if entries, _ := os.ReadDir(e.parent); len(entries) != 0 {
			t.Fatalf("dry run wrote %v", entries)
		}
	})
	t.Run("config defaults", func(t *testing.T) {
		e := newTestEnv(t, "json", config.Scaffold{ModulePrefix: "github.com/acme/", Template: "istio", Replicas: 5})
		e.opts.Service, e.opts.DryRun = "orders", true
		if err := runScaffold(context.Background(), e.opts); err != nil {
			t.Fatal(err)
		}
		out := e.out.String()
		for _, want := range []string{`"module": "github.com/acme/orders"`, `"template": "istio"`, `"replicas": 5`, `"dir": "orders"`} {
			if !strings.Contains(out, want) {
				t.Errorf("plan lacks %s:\n%s", want, out)
			}
		}
	})
}

func TestRunScaffoldBadInput(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(o *Options, parent string)
		want   string
	}{
		{"no service, no terminal", func(*Options, string) {}, "--service is required"},
		{"bad name", func(o *Options, _ string) { o.Service = "User_1" }, "DNS label"},
		{"traversal", func(o *Options, _ string) { o.Service = "../../etc" }, "DNS label"},
		{"bad module", func(o *Options, _ string) { o.Service, o.Module = "user", "user" }, "missing dot"},
		{"bad template", func(o *Options, _ string) { o.Service, o.Template = "user", "helm" }, "unknown template"},
		{"even replicas", func(o *Options, _ string) { o.Service, o.Replicas = "user", 2 }, "must be odd"},
		{"existing dir", func(o *Options, parent string) {
			o.Service, o.Dir = "user", parent
			_ = os.WriteFile(filepath.Join(parent, "keep"), []byte("x"), 0o644)
		}, "--force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestEnv(t, "text", config.Scaffold{})
			tt.mutate(e.opts, e.parent)
			before, _ := os.ReadDir(e.parent)
			err := runScaffold(context.Background(), e.opts)
			if code := exitCode(err); code != command.ExitUsage {
				t.Fatalf("exit %d (%v), want 2", code, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if after, _ := os.ReadDir(e.parent); len(after) != len(before) {
				t.Fatalf("bad input wrote %v", after)
			}
			if e.out.Len() != 0 {
				t.Fatalf("stdout = %q, want nothing", e.out.String())
			}
		})
	}
}

func TestRunScaffoldPrompts(t *testing.T) {
	e := newTestEnv(t, "text", config.Scaffold{})
	e.ios.SetStdinTTY(true)
	e.ios.SetStdoutTTY(true)
	e.opts.Dir = filepath.Join(e.parent, "svc")
	e.opts.Prompt = func(o *Options) error {
		o.Service, o.Template = "user", "istio"
		return nil
	}
	if err := runScaffold(context.Background(), e.opts); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(e.parent, "svc", "deploy", "helm", "user", "templates", "istio-peerauthentication.yaml")); err != nil {
		t.Fatal(err)
	}
}

// TestForm drives the real huh form in accessible mode (line by line).
func TestForm(t *testing.T) {
	e := newTestEnv(t, "text", config.Scaffold{})
	// huh reads each answer with a fresh bufio.Scanner: hand it one byte
	// at a time so no answer is swallowed by the previous prompt's buffer.
	e.opts.Factory.IO.In = iotest.OneByteReader(strings.NewReader("Bad_Name\nuser\n\n2\n"))
	form := newForm(e.opts).WithAccessible(true)
	if err := form.Run(); err != nil {
		t.Fatal(err)
	}
	if e.opts.Service != "user" || e.opts.Module != "" || e.opts.Template != "istio" {
		t.Fatalf("opts = %+v", e.opts)
	}
	if !strings.Contains(e.err.String(), "DNS label") {
		t.Fatalf("the invalid name was not reported:\n%s", e.err.String())
	}
}

func TestTemplates(t *testing.T) {
	for _, output := range []string{"text", "json"} {
		t.Run(output, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			f := &command.Factory{IO: ios, Globals: &command.Globals{Output: output}}
			cmd := NewCmdTemplates(f, nil)
			cmd.SetArgs(nil)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if output == "json" {
				var list []struct {
					Name        string `json:"name"`
					Description string `json:"description"`
				}
				if err := json.Unmarshal(out.Bytes(), &list); err != nil || len(list) != 2 || list[1].Name != "istio" {
					t.Fatalf("json = %s (%v)", out.String(), err)
				}
				return
			}
			if !strings.HasPrefix(out.String(), "TEMPLATE  FILES  DESCRIPTION\nplain") || !strings.Contains(out.String(), "PeerAuthentication") {
				t.Fatalf("text = %q", out.String())
			}
		})
	}
}
