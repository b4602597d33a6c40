package lint

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/internal/config"
)

func TestNewCmdLint(t *testing.T) {
	tests := []struct {
		name    string
		argv    []string
		output  string
		want    Options
		wantErr string
	}{
		{name: "defaults", argv: []string{}, want: Options{Format: "text", Count: 1}},
		{name: "packages and rules", argv: []string{"--rule", "abandonedsend,syncblock", "./a/...", "./b"},
			want: Options{Format: "text", Count: 1, Rules: []string{"abandonedsend", "syncblock"}, Patterns: []string{"./a/...", "./b"}}},
		{name: "sarif to file", argv: []string{"--format", "sarif", "--output-file", "x.sarif"}, want: Options{Format: "sarif", OutputFile: "x.sarif", Count: 1}},
		{name: "global json", argv: []string{}, output: "json", want: Options{Format: "json", Count: 1}},
		{name: "output file", argv: []string{"--format", "sarif", "--output", "x.sarif"}, want: Options{Format: "sarif", OutputFile: "x.sarif", Count: 1}},
		{name: "-o file", argv: []string{"-o", "report.txt"}, want: Options{Format: "text", OutputFile: "report.txt", Count: 1}},
		{name: "-o json is the format", argv: []string{"-o", "json"}, want: Options{Format: "json", Count: 1}},
		{name: "--output text is the format", argv: []string{"--output", "text"}, output: "json", want: Options{Format: "text", Count: 1}},
		{name: "file beats global json", argv: []string{"--output", "r.json"}, output: "json", want: Options{Format: "text", OutputFile: "r.json", Count: 1}},
		{name: "-o json with another format", argv: []string{"-o", "json", "--format", "sarif"}, wantErr: "use --format for the format"},
		{name: "-o json with --format json", argv: []string{"-o", "json", "--format", "json"}, want: Options{Format: "json", Count: 1}},
		{name: "deprecated --output-file", argv: []string{"--output-file", "x.sarif", "--format", "sarif"}, want: Options{Format: "sarif", OutputFile: "x.sarif", Count: 1}},
		{name: "dynamic", argv: []string{"--dynamic", "--count", "3", "--run", "TestX"}, want: Options{Format: "text", Dynamic: true, Count: 3, Run: "TestX"}},
		{name: "bad format", argv: []string{"--format", "xml"}, wantErr: `--format "xml" is not a format`},
		{name: "unknown rule", argv: []string{"--rule", "nope"}, wantErr: "unknown rule nope"},
		{name: "count without dynamic", argv: []string{"--count", "2"}, wantErr: "--count and --run need --dynamic"},
		{name: "two baselines", argv: []string{"--baseline", "a", "--write-baseline", "b"}, wantErr: "cannot be used together"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := tt.output
			if out == "" {
				out = "text"
			}
			f := &command.Factory{Globals: &command.Globals{Output: out}}
			var got *Options
			cmd := NewCmdLint(f, func(_ context.Context, o *Options) error { got = o; return nil })
			cmd.SetArgs(tt.argv)
			cmd.SetOut(&strings.Builder{})
			cmd.SetErr(&strings.Builder{})
			err := cmd.Execute()
			if tt.wantErr != "" {
				var fe *command.FlagError
				if err == nil || !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want a flag error containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got.Factory = nil
			if got.Patterns == nil {
				got.Patterns = tt.want.Patterns
			}
			if strings.Join(got.Patterns, " ") != strings.Join(tt.want.Patterns, " ") || strings.Join(got.Rules, ",") != strings.Join(tt.want.Rules, ",") ||
				got.Format != tt.want.Format || got.OutputFile != tt.want.OutputFile || got.Dynamic != tt.want.Dynamic || got.Count != tt.want.Count || got.Run != tt.want.Run {
				t.Fatalf("opts = %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func leakyModule(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module leaky\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "l.go"), []byte(`package leaky

import "context"

func F(ctx context.Context) int {
	ch := make(chan int)
	go func() { ch <- 1 }()
	select {
	case v := <-ch:
		return v
	case <-ctx.Done():
		return 0
	}
}
`), 0o644)
	return dir
}

func TestRunLint(t *testing.T) {
	dir := leakyModule(t)
	for _, tt := range []struct {
		name, format string
		tty          bool
		check        func(t *testing.T, out string)
	}{
		{"text tty", "text", true, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "l.go:7:17: goroutine started at l.go:7 can block forever sending on unbuffered channel ch") || !strings.HasSuffix(out, "1 finding in 1 package\n") {
				t.Errorf("text output:\n%s", out)
			}
		}},
		{"text pipe", "text", false, func(t *testing.T, out string) {
			if !strings.Contains(out, "[abandonedsend]") {
				t.Errorf("text output:\n%s", out)
			}
		}},
		{"json", "json", false, func(t *testing.T, out string) {
			var res struct {
				Findings []struct {
					Rule     string `json:"rule"`
					Location struct {
						File string `json:"file"`
						Line int    `json:"line"`
					} `json:"location"`
				} `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if len(res.Findings) != 1 || res.Findings[0].Rule != "abandonedsend" || res.Findings[0].Location.Line != 7 {
				t.Errorf("findings = %+v", res.Findings)
			}
		}},
		{"github", "github", false, func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "::error file=l.go,line=7,col=17,") {
				t.Errorf("github output:\n%s", out)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			f := &command.Factory{IO: ios, Globals: &command.Globals{Output: "text"},
				Config: func() (*config.Config, error) { return &config.Config{}, nil }, Getwd: func() (string, error) { return dir, nil }}
			err := runLint(context.Background(), &Options{Factory: f, Dir: dir, Format: tt.format, Count: 1})
			var ee *command.ExitError
			if !errors.As(err, &ee) || ee.Code != command.ExitProblems {
				t.Fatalf("err = %v, want exit 1", err)
			}
			tt.check(t, out.String())
		})
	}
}

func TestRunLintErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module broken\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.go"), []byte("package broken\n\nfunc F( {\n"), 0o644)
	ios, _, _, _ := iostreams.Test()
	f := &command.Factory{IO: ios, Globals: &command.Globals{Output: "text"}, Config: func() (*config.Config, error) { return &config.Config{}, nil }}
	err := runLint(context.Background(), &Options{Factory: f, Dir: dir, Format: "text", Count: 1})
	var ee *command.ExitError
	if !errors.As(err, &ee) || ee.Code != command.ExitUsage || !strings.Contains(err.Error(), "broken") {
		t.Fatalf("err = %v, want exit 2 naming the package", err)
	}
}

func TestRunLintClean(t *testing.T) {
	dir := leakyModule(t)
	os.WriteFile(filepath.Join(dir, "l.go"), []byte("package leaky\n\nfunc F() int { return 1 }\n"), 0o644)
	ios, _, out, _ := iostreams.Test()
	f := &command.Factory{IO: ios, Globals: &command.Globals{Output: "text"}, Config: func() (*config.Config, error) { return &config.Config{}, nil }}
	if err := runLint(context.Background(), &Options{Factory: f, Dir: dir, Format: "text", Count: 1}); err != nil {
		t.Fatalf("clean module: %v", err)
	}
	if out.String() != "0 findings in 1 package\n" {
		t.Errorf("out = %q", out.String())
	}
}

func TestVetInvocation(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"-V=full"}, true},
		{[]string{"-flags"}, true},
		{[]string{"/tmp/go-build/vet.cfg"}, true},
		{[]string{"lint", "./..."}, false},
		{nil, false},
	} {
		if got := IsVetInvocation(tt.args); got != tt.want {
			t.Errorf("IsVetInvocation(%q) = %v, want %v", tt.args, got, tt.want)
		}
	}
}

func TestRunLintBaselineAndFix(t *testing.T) {
	dir := leakyModule(t)
	newFactory := func() *command.Factory {
		ios, _, _, _ := iostreams.Test()
		return &command.Factory{IO: ios, Globals: &command.Globals{Output: "text"},
			Config: func() (*config.Config, error) { return &config.Config{}, nil }, Getwd: func() (string, error) { return dir, nil }}
	}
	baseline := filepath.Join(dir, "baseline.json")
	f := newFactory()
	if err := runLint(context.Background(), &Options{Factory: f, Dir: dir, Format: "text", Count: 1, WriteBaseline: baseline}); err != nil {
		t.Fatalf("--write-baseline: %v", err)
	}
	f = newFactory()
	if err := runLint(context.Background(), &Options{Factory: f, Dir: dir, Format: "text", Count: 1, Baseline: baseline}); err != nil {
		t.Fatalf("--baseline should leave nothing to report: %v", err)
	}
	f = newFactory()
	if err := runLint(context.Background(), &Options{Factory: f, Dir: dir, Format: "text", Count: 1, Fix: true}); err != nil {
		t.Fatalf("--fix should fix the only finding: %v", err)
	}
	src, _ := os.ReadFile(filepath.Join(dir, "l.go"))
	if !strings.Contains(string(src), "make(chan int, 1)") {
		t.Fatalf("fix not applied:\n%s", src)
	}
	f = newFactory()
	if err := runLint(context.Background(), &Options{Factory: f, Dir: dir, Format: "text", Count: 1}); err != nil {
		t.Fatalf("after --fix: %v", err)
	}
}
