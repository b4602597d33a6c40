package command

import (
	"errors"
	"fmt"
)

// Exit codes shared by every command and documented in docs/cli.md.
const (
	// ExitOK: the command did what was asked and found nothing wrong.
	ExitOK = 0
	// ExitProblems: the command ran and found problems (lint findings,
	// failed verification, a failed check).
	ExitProblems = 1
	// ExitUsage: bad flags, arguments, configuration or input.
	ExitUsage = 2
	// ExitThresholds: a perf run finished but its thresholds failed.
	ExitThresholds = 99
)

// FlagError is a usage mistake: main prints it with a pointer to --help and
// exits 2.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf formats a usage error.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ExitError carries an error with the exit code it should produce and an
// optional hint line telling the user what to do next.
type ExitError struct {
	Code int
	Err  error
	Hint string
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *ExitError) Unwrap() error { return e.Err }

// InputErrorf is bad input that is not a flag mistake (a malformed file, an
// unknown name): exit 2 without the usage pointer.
func InputErrorf(format string, args ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, args...)}
}

// WithHint attaches a next-step hint to err, keeping its exit code.
func WithHint(err error, hint string) error {
	var ee *ExitError
	if errors.As(err, &ee) {
		cp := *ee
		cp.Hint = hint
		return &cp
	}
	return &ExitError{Code: ExitProblems, Err: err, Hint: hint}
}

// ErrSilent ends the command with exit 1 after it has already reported
// everything itself (for example a findings list).
var ErrSilent = errors.New("silent exit")

// SilentExit returns an error that exits with code and prints nothing.
func SilentExit(code int) error { return &ExitError{Code: code, Err: ErrSilent} }
