package supplychain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/supplychain/signing"
)

// KeygenOptions are the inputs of `gocli keygen`.
type KeygenOptions struct {
	Factory   *command.Factory
	Passwords Passwords
	// Prefix names the files: PREFIX.key and PREFIX.pub.
	Prefix string
	// Force overwrites existing key files.
	Force bool
}

// NewCmdKeygen builds `gocli keygen`; runF replaces the run step in tests.
func NewCmdKeygen(f *command.Factory, runF func(context.Context, *KeygenOptions) error) *cobra.Command {
	opts := &KeygenOptions{Factory: f, Passwords: systemPasswords()}
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Create an ECDSA P-256 key pair in cosign's format",
		Long: `Create a signing key pair that cosign also reads: PREFIX.key holds the
private key encrypted with a password (mode 0600), PREFIX.pub the public key.

The password comes from COSIGN_PASSWORD when it is set (an empty value
means an empty password); otherwise gocli asks twice on the terminal.
Without either, keygen fails. Existing files are never overwritten
without --force.`,
		Example: `  gocli keygen
  COSIGN_PASSWORD=... gocli keygen --output-key-prefix release`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Prefix == "" {
				return command.FlagErrorf("--output-key-prefix must not be empty")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runKeygen(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Prefix, "output-key-prefix", "cosign", "write the key pair to PREFIX.key and PREFIX.pub")
	cmd.Flags().BoolVar(&opts.Force, "force", false, "overwrite existing key files")
	return cmd
}

type keygenResult struct {
	signing.KeyFiles
}

func (r keygenResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s Private key written to %s\n%s Public key written to %s\n",
		cs.SuccessIcon(), r.PrivateKey, cs.SuccessIcon(), r.PublicKey)
	return err
}

func runKeygen(_ context.Context, opts *KeygenOptions) error {
	f := opts.Factory
	// Refuse before asking for a password that would be thrown away.
	if !opts.Force {
		for _, p := range []string{opts.Prefix + ".key", opts.Prefix + ".pub"} {
			if fileExists(p) {
				return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("keygen: %s already exists", p), Hint: "pass --force to replace the key pair"}
			}
		}
	}
	kp, err := signing.GenerateKeyPair(opts.Passwords.source(f.IO))
	if err != nil {
		return classify("keygen", err)
	}
	files, err := signing.WriteKeyPair(kp, opts.Prefix, opts.Force)
	if errors.Is(err, signing.ErrExists) {
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("keygen: %w", err), Hint: "pass --force to replace the key pair"}
	}
	if err != nil {
		return classify("keygen", err)
	}
	return f.Render(keygenResult{*files})
}

func fileExists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}
