package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
)

// testFactory is a production Factory with buffered streams and a pinned
// working directory, so config discovery is under the test's control.
func testFactory(t *testing.T, wd string) (*command.Factory, *iostreamsBuffers) {
	t.Helper()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(wd, "xdg"))
	f := command.New()
	ios, _, out, errOut := iostreams.Test()
	f.IO = ios
	f.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }
	f.Getwd = func() (string, error) { return wd, nil }
	return f, &iostreamsBuffers{out: out, errOut: errOut}
}

type iostreamsBuffers struct{ out, errOut interface{ String() string } }

func TestRunExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		config     string // gocli.yaml in the working directory
		wantCode   int
		wantStdout string
		wantStderr []string
	}{
		{name: "help", args: []string{"--help"}, wantCode: 0, wantStdout: "Usage:"},
		{name: "version", args: []string{"version"}, wantCode: 0, wantStdout: "gocli "},
		{name: "unknown flag", args: []string{"--bogus"}, wantCode: 2, wantStderr: []string{"gocli: unknown flag: --bogus", "--help"}},
		{name: "unknown command", args: []string{"bogus"}, wantCode: 2, wantStderr: []string{`gocli: unknown command "bogus"`}},
		{name: "extra argument", args: []string{"version", "extra"}, wantCode: 2, wantStderr: []string{"gocli: unknown command"}},
		{name: "bad output format", args: []string{"version", "-o", "yaml"}, wantCode: 2, wantStderr: []string{`invalid value "yaml" for --output`}},
		{name: "broken config", args: []string{"version"}, config: "output: json\nouptut: text\n", wantCode: 2,
			wantStderr: []string{"gocli.yaml:2:1", `key "ouptut"`, "unknown key", "hint:"}},
		{name: "config wrong type", args: []string{"version"}, config: "noColor: maybe-not\n", wantCode: 2,
			wantStderr: []string{"gocli.yaml:1:10", `key "noColor"`, "expected true or false"}},
		{name: "config sets output", args: []string{"version"}, config: "output: json\n", wantCode: 0, wantStdout: `"goVersion"`},
		{name: "flag beats config", args: []string{"version", "-o", "text"}, config: "output: json\n", wantCode: 0, wantStdout: "commit:"},
		{name: "completion ignores broken config", args: []string{"completion", "bash"}, config: "nope: 1\n", wantCode: 0, wantStdout: "bash completion"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wd := t.TempDir()
			if tt.config != "" {
				if err := os.WriteFile(filepath.Join(wd, "gocli.yaml"), []byte(tt.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			f, bufs := testFactory(t, wd)
			code := Run(context.Background(), f, tt.args)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, bufs.out, bufs.errOut)
			}
			if !strings.Contains(bufs.out.String(), tt.wantStdout) {
				t.Errorf("stdout = %q, want it to contain %q", bufs.out, tt.wantStdout)
			}
			for _, s := range tt.wantStderr {
				if !strings.Contains(bufs.errOut.String(), s) {
					t.Errorf("stderr = %q, want it to contain %q", bufs.errOut, s)
				}
			}
			if strings.Contains(bufs.errOut.String(), "goroutine ") || strings.Contains(bufs.errOut.String(), "panic") {
				t.Errorf("stderr shows a Go trace: %s", bufs.errOut)
			}
		})
	}
}

func TestRunExplicitConfigMissing(t *testing.T) {
	wd := t.TempDir()
	f, bufs := testFactory(t, wd)
	code := Run(context.Background(), f, []string{"--config", filepath.Join(wd, "missing.yaml"), "version"})
	if code != 2 || !strings.Contains(bufs.errOut.String(), "missing.yaml") {
		t.Fatalf("code %d, stderr %q", code, bufs.errOut)
	}
}

func TestVersionJSON(t *testing.T) {
	f, bufs := testFactory(t, t.TempDir())
	if code := Run(context.Background(), f, []string{"version", "--output", "json"}); code != 0 {
		t.Fatalf("exit %d: %s", code, bufs.errOut)
	}
	var got map[string]string
	if err := json.Unmarshal([]byte(bufs.out.String()), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, bufs.out)
	}
	for _, k := range []string{"version", "commit", "date", "goVersion", "platform"} {
		if got[k] == "" {
			t.Errorf("JSON lacks %q: %v", k, got)
		}
	}
}

func TestCompletionScripts(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash":       "__start_gocli",
		"zsh":        "#compdef gocli",
		"fish":       "complete -c gocli",
		"powershell": "Register-ArgumentCompleter",
	} {
		t.Run(shell, func(t *testing.T) {
			f, bufs := testFactory(t, t.TempDir())
			if code := Run(context.Background(), f, []string{"completion", shell}); code != 0 {
				t.Fatalf("exit %d: %s", code, bufs.errOut)
			}
			if !strings.Contains(bufs.out.String(), marker) {
				t.Fatalf("%s completion lacks %q", shell, marker)
			}
		})
	}
}

func TestReportErrorHint(t *testing.T) {
	var b strings.Builder
	code := reportError(&b, command.WithHint(command.InputErrorf("open spec x.yaml: no such file"), "create it with gocli init"))
	if code != 2 {
		t.Fatalf("code = %d", code)
	}
	want := "gocli: open spec x.yaml: no such file\nhint: create it with gocli init\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	if code := reportError(&b, command.SilentExit(1)); code != 1 || b.Len() != 0 {
		t.Fatalf("silent exit: code %d output %q", code, b.String())
	}
}
