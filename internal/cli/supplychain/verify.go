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

// VerifyOptions are the inputs of `gocli verify`.
type VerifyOptions struct {
	Factory       *command.Factory
	File          string
	KeyPath       string
	SignaturePath string
	BundlePath    string
}

// NewCmdVerify builds `gocli verify`; runF replaces the run step in tests.
func NewCmdVerify(f *command.Factory, runF func(context.Context, *VerifyOptions) error) *cobra.Command {
	opts := &VerifyOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "verify FILE --key cosign.pub (--signature FILE.sig | --bundle FILE.sigstore.json)",
		Short: "Verify a file's signature or bundle with a public key, offline",
		Long: `Verify FILE against a signature or a bundle made by gocli sign or by
cosign sign-blob (sigstore bundle v0.3, or cosign's older --bundle
format). Verification uses only the public key: nothing connects to a
transparency log or a TUF server. Transparency-log entries present in a
bundle are reported as not verified.

Exit status: 0 verified, 1 verification failed (the message says which
check), 2 unreadable or unusable input.`,
		Example: `  gocli verify dist/gocli.tar.gz --key cosign.pub --signature dist/gocli.tar.gz.sig
  gocli verify app --key cosign.pub --bundle app.sigstore.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.KeyPath == "" {
				return command.FlagErrorf("--key is required")
			}
			if (opts.SignaturePath == "") == (opts.BundlePath == "") {
				return command.FlagErrorf("give exactly one of --signature and --bundle")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVerify(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.KeyPath, "key", "", "PEM public key file (cosign.pub)")
	cmd.Flags().StringVar(&opts.SignaturePath, "signature", "", "base64 (or DER) signature file")
	cmd.Flags().StringVar(&opts.BundlePath, "bundle", "", "sigstore or cosign bundle file")
	return cmd
}

type verifyResult struct{ *signing.VerifyResult }

func (r verifyResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s Verified %s (%s, sha256:%s)\n", cs.SuccessIcon(), r.File, r.Format, r.SHA256)
	return err
}

func runVerify(ctx context.Context, opts *VerifyOptions) error {
	if err := checkReadable("verify", opts.File); err != nil {
		return err
	}
	pub, err := loadPublicKey("verify", opts.KeyPath)
	if err != nil {
		return err
	}
	var res *signing.VerifyResult
	if opts.SignaturePath != "" {
		sig, err := readInput("verify", "signature", opts.SignaturePath)
		if err != nil {
			return err
		}
		res, err = signing.VerifySignature(ctx, opts.File, pub, sig)
		if err != nil {
			return classify("verify "+opts.File, err)
		}
	} else {
		bundle, err := readInput("verify", "bundle", opts.BundlePath)
		if err != nil {
			return err
		}
		res, err = signing.VerifyBundle(ctx, opts.File, pub, bundle)
		if err != nil {
			return classify("verify "+opts.File, err)
		}
	}
	for _, w := range res.Warnings {
		opts.Factory.Warnf("%s", w)
	}
	return opts.Factory.Render(verifyResult{res})
}
