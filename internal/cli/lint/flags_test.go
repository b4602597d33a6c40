package lint_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gocli/gocli/internal/cli"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/internal/cli/lint"
)

// TestOutputFlagThroughRoot runs the real command tree: lint's local
// --output shadows the global -o/--output format flag, -o json still
// selects JSON, and the deprecated --output-file still writes the file.
func TestOutputFlagThroughRoot(t *testing.T) {
	dir := lint.LeakyModule(t)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	run := func(args ...string) (code int, stdout, stderr string) {
		f := command.New()
		ios, _, out, errOut := iostreams.Test()
		f.IO = ios
		f.Getwd = func() (string, error) { return dir, nil }
		code = cli.Run(context.Background(), f, append([]string{"lint", "-C", dir}, args...))
		return code, out.String(), errOut.String()
	}

	report := filepath.Join(dir, "out", "report.sarif")
	if code, stdout, stderr := run("--format", "sarif", "--output", report); code != 1 || stdout != "" {
		t.Fatalf("--output: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if data, err := os.ReadFile(report); err != nil || !strings.Contains(string(data), `"version": "2.1.0"`) {
		t.Fatalf("--output did not write the SARIF report: %v\n%s", err, data)
	}

	if code, stdout, _ := run("-o", "json"); code != 1 || !strings.Contains(stdout, `"findings"`) {
		t.Fatalf("-o json: exit %d, stdout:\n%s", code, stdout)
	}

	old := filepath.Join(dir, "old.txt")
	code, stdout, stderr := run("--output-file", old)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "deprecated") {
		t.Fatalf("--output-file: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if data, err := os.ReadFile(old); err != nil || !strings.Contains(string(data), "[abandonedsend]") {
		t.Fatalf("--output-file did not write the report: %v\n%s", err, data)
	}

	if code, _, stderr := run("-o", "json", "--format", "sarif"); code != 2 || !strings.Contains(stderr, "use --format") {
		t.Fatalf("-o json --format sarif: exit %d, stderr %q", code, stderr)
	}

	// The global flag keeps working for other commands.
	f := command.New()
	ios, _, out, _ := iostreams.Test()
	f.IO = ios
	f.Getwd = func() (string, error) { return dir, nil }
	if code := cli.Run(context.Background(), f, []string{"version", "-o", "json"}); code != 0 || !strings.Contains(out.String(), `"goVersion"`) {
		t.Fatalf("version -o json: exit %d, stdout %q", code, out.String())
	}
}
