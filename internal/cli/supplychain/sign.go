package supplychain

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/supplychain/signing"
)

// SignOptions are the inputs of `gocli sign`.
type SignOptions struct {
	Factory       *command.Factory
	Passwords     Passwords
	File          string
	KeyPath       string
	SignaturePath string
	BundlePath    string
}

// NewCmdSign builds `gocli sign`; runF replaces the run step in tests.
func NewCmdSign(f *command.Factory, runF func(context.Context, *SignOptions) error) *cobra.Command {
	opts := &SignOptions{Factory: f, Passwords: systemPasswords()}
	cmd := &cobra.Command{
		Use:   "sign FILE --key cosign.key",
		Short: "Sign a file as cosign sign-blob does, offline",
		Long: `Sign FILE with a cosign private key. The signature is ECDSA over the file's
SHA-256, streamed, so files of any size sign in bounded memory.

--output-signature writes the base64 signature (FILE.sig when neither
output flag is given); --bundle writes a sigstore bundle v0.3. Both are
accepted by cosign verify-blob --key ... --insecure-ignore-tlog. Nothing
is uploaded to a transparency log.`,
		Example: `  gocli sign dist/gocli.tar.gz --key cosign.key
  gocli sign app --key cosign.key --bundle app.sigstore.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.KeyPath == "" {
				return command.FlagErrorf("--key is required")
			}
			if opts.SignaturePath == "" && opts.BundlePath == "" {
				opts.SignaturePath = opts.File + ".sig"
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSign(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.KeyPath, "key", "", "cosign private key file")
	cmd.Flags().StringVar(&opts.SignaturePath, "output-signature", "", "write the base64 signature here (default FILE.sig unless --bundle)")
	cmd.Flags().StringVar(&opts.BundlePath, "bundle", "", "write a sigstore bundle here")
	return cmd
}

type signResult struct{ *signing.SignResult }

func (r signResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	if _, err := fmt.Fprintf(w, "%s Signed %s (sha256:%s)\n", cs.SuccessIcon(), r.File, r.SHA256); err != nil {
		return err
	}
	if r.SignaturePath != "" {
		fmt.Fprintf(w, "  signature: %s\n", r.SignaturePath)
	}
	if r.BundlePath != "" {
		fmt.Fprintf(w, "  bundle:    %s\n", r.BundlePath)
	}
	return nil
}

func runSign(ctx context.Context, opts *SignOptions) error {
	if err := checkReadable("sign", opts.File); err != nil {
		return err
	}
	key, err := loadPrivateKey("sign", opts.KeyPath, opts.Passwords, opts.Factory.IO)
	if err != nil {
		return err
	}
	res, err := signing.SignFile(ctx, opts.File, key, signing.SignOptions{
		SignaturePath: opts.SignaturePath,
		BundlePath:    opts.BundlePath,
	})
	if err != nil {
		return classify("sign "+opts.File, err)
	}
	return opts.Factory.Render(signResult{res})
}
