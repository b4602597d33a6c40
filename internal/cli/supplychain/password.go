package supplychain

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"golang.org/x/term"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/supplychain/signing"
)

// passwordEnv is the variable cosign reads a key password from; gocli reads
// the same one so scripts work with either tool.
const passwordEnv = "COSIGN_PASSWORD"

// Passwords says where key passwords come from. Commands fill it from the
// process; tests replace both funcs.
type Passwords struct {
	// LookupEnv reads COSIGN_PASSWORD (os.LookupEnv).
	LookupEnv func(string) (string, bool)
	// ReadPassword reads one line from the terminal without echo.
	ReadPassword func() ([]byte, error)
}

func systemPasswords() Passwords {
	return Passwords{
		LookupEnv:    os.LookupEnv,
		ReadPassword: func() ([]byte, error) { return term.ReadPassword(int(os.Stdin.Fd())) },
	}
}

// errNoPassword is returned when neither the variable nor a terminal can
// supply a password.
var errNoPassword = errors.New("no password: set " + passwordEnv + " or run on a terminal")

// source returns the signing.PasswordFunc for a command: COSIGN_PASSWORD
// when set (an empty value is a valid empty password, as with cosign),
// otherwise a prompt on the terminal, asked twice when creating a key.
func (p Passwords) source(ios *iostreams.IOStreams) signing.PasswordFunc {
	return func(confirm bool) ([]byte, error) {
		if v, ok := p.LookupEnv(passwordEnv); ok {
			return []byte(v), nil
		}
		if !ios.IsStdinTTY() {
			return nil, &command.ExitError{Code: command.ExitUsage, Err: errNoPassword,
				Hint: "export " + passwordEnv + "=... (it may be empty) when running without a terminal"}
		}
		fmt.Fprint(ios.ErrOut, "Enter password for private key: ")
		pw, err := p.ReadPassword()
		fmt.Fprintln(ios.ErrOut)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		if !confirm {
			return pw, nil
		}
		fmt.Fprint(ios.ErrOut, "Enter password for private key again: ")
		again, err := p.ReadPassword()
		fmt.Fprintln(ios.ErrOut)
		if err != nil {
			return nil, fmt.Errorf("read password: %w", err)
		}
		if !bytes.Equal(pw, again) {
			return nil, command.InputErrorf("passwords do not match")
		}
		return pw, nil
	}
}
