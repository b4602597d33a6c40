package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/lint"
)

// Main runs gocli with the process's arguments and returns its exit code.
func Main() int {
	// `go vet -vettool=$(command -v gocli)` runs gocli as a vet tool.
	if lint.IsVetInvocation(os.Args[1:]) {
		lint.RunVetTool()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, command.New(), os.Args[1:])
}

// Run executes args against a root command built on f and returns the exit
// code; errors are printed to f.IO.ErrOut in gocli's one error format.
func Run(ctx context.Context, f *command.Factory, args []string) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return reportError(f.IO.ErrOut, err)
}

// reportError prints err as `gocli: <what failed>: <why>` plus an optional
// hint, and maps it to an exit code.
func reportError(w io.Writer, err error) int {
	if err == nil {
		return command.ExitOK
	}
	var flagErr *command.FlagError
	var exitErr *command.ExitError
	switch {
	case errors.As(err, &flagErr):
		fmt.Fprintf(w, "gocli: %s\n", flagErr.Err)
		fmt.Fprintln(w, "Run 'gocli <command> --help' for usage.")
		return command.ExitUsage
	case errors.As(err, &exitErr):
		if !errors.Is(exitErr.Err, command.ErrSilent) && exitErr.Err != nil {
			fmt.Fprintf(w, "gocli: %s\n", exitErr.Err)
		}
		if exitErr.Hint != "" {
			fmt.Fprintf(w, "hint: %s\n", exitErr.Hint)
		}
		return exitErr.Code
	case errors.Is(err, context.Canceled):
		fmt.Fprintln(w, "gocli: interrupted")
		return 130
	case isCobraUsageError(err):
		fmt.Fprintf(w, "gocli: %s\n", err)
		fmt.Fprintln(w, "Run 'gocli --help' for usage.")
		return command.ExitUsage
	default:
		fmt.Fprintf(w, "gocli: %s\n", err)
		return command.ExitProblems
	}
}

// Cobra reports unknown commands and argument-count mistakes as plain
// errors; they are usage errors all the same.
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "requires at most", "requires exactly", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
