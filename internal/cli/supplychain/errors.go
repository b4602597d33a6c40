package supplychain

import (
	"context"
	"errors"
	"fmt"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/supplychain/signing"
)

// classify maps a domain error to gocli's exit codes: a failed check is
// exit 1 (the command ran and found a problem), anything else about the
// input (unreadable files, bad keys, wrong password) is exit 2.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var ee *command.ExitError
	if errors.As(err, &ee) || errors.Is(err, context.Canceled) {
		return err
	}
	wrapped := fmt.Errorf("%s: %w", what, err)
	switch {
	case errors.Is(err, signing.ErrVerification):
		return &command.ExitError{Code: command.ExitProblems, Err: wrapped}
	case errors.Is(err, signing.ErrWrongPassword):
		return &command.ExitError{Code: command.ExitUsage, Err: wrapped, Hint: "check " + passwordEnv + " or the password you typed"}
	case errors.Is(err, signing.ErrKeyType):
		return &command.ExitError{Code: command.ExitUsage, Err: wrapped, Hint: "create a key pair with `gocli keygen` or `cosign generate-key-pair`"}
	default:
		return &command.ExitError{Code: command.ExitUsage, Err: wrapped}
	}
}
