// Package commandtest holds the helpers that the command tests share: a
// TestNewCmdXxx test runs a command line through NewCmdXxx with a runF that
// captures the options, then checks the error or the options.
package commandtest

import (
	"io"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// ParseArgs runs cmd with args as its command line, its usage and error
// output discarded, and returns what Execute returned.
func ParseArgs(t testing.TB, cmd *cobra.Command, args []string) error {
	t.Helper()
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	return cmd.Execute()
}

// WantErr checks err against want: a text the error must contain, or ""
// for no error. It fails the test on a mismatch, and reports whether an
// error was wanted, so a table-driven case knows it is done and has no
// options to compare.
func WantErr(t testing.TB, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	return true
}
