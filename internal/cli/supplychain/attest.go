package supplychain

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/supplychain/attest"
)

// AttestOptions are the inputs of `gocli attest`.
type AttestOptions struct {
	Factory       *command.Factory
	Passwords     Passwords
	File          string
	PredicatePath string
	PredicateType string
	KeyPath       string
	BundlePath    string
}

// NewCmdAttest builds `gocli attest`; runF replaces the run step in tests.
func NewCmdAttest(f *command.Factory, runF func(context.Context, *AttestOptions) error) *cobra.Command {
	opts := &AttestOptions{Factory: f, Passwords: systemPasswords()}
	cmd := &cobra.Command{
		Use:   "attest FILE --predicate PRED.json --type TYPE --key cosign.key --bundle OUT",
		Short: "Attest a predicate (SBOM, provenance) about a file, offline",
		Long: `Make an in-toto statement whose subject is FILE's SHA-256 and whose
predicate is PRED.json, sign it as a DSSE envelope and write a sigstore
bundle v0.3, as cosign attest-blob --new-bundle-format does.

--type is a short name (` + strings.Join(attest.PredicateTypeNames(), ", ") + `)
or a predicate type URI.`,
		Example: `  gocli sbom dist/gocli --format spdx-json --output-file gocli.spdx.json
  gocli attest dist/gocli --predicate gocli.spdx.json --type spdxjson --key cosign.key --bundle gocli.att.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			for _, req := range [][2]string{{"--predicate", opts.PredicatePath}, {"--type", opts.PredicateType}, {"--key", opts.KeyPath}, {"--bundle", opts.BundlePath}} {
				if req[1] == "" {
					return command.FlagErrorf("%s is required", req[0])
				}
			}
			if _, err := attest.ResolvePredicateType(opts.PredicateType); err != nil {
				return command.FlagErrorf("--type: %v", err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runAttest(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.PredicatePath, "predicate", "", "predicate JSON file")
	cmd.Flags().StringVar(&opts.PredicateType, "type", "", "predicate type: short name or URI")
	cmd.Flags().StringVar(&opts.KeyPath, "key", "", "cosign private key file")
	cmd.Flags().StringVar(&opts.BundlePath, "bundle", "", "write the attestation bundle here")
	return cmd
}

type attestResult struct{ *attest.Result }

func (r attestResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s Attested %s (sha256:%s)\n  predicate: %s\n  bundle:    %s\n",
		cs.SuccessIcon(), r.File, r.SHA256, r.PredicateType, r.BundlePath)
	return err
}

func runAttest(ctx context.Context, opts *AttestOptions) error {
	if err := checkReadable("attest", opts.File); err != nil {
		return err
	}
	pred, err := readInput("attest", "predicate", opts.PredicatePath)
	if err != nil {
		return err
	}
	key, err := loadPrivateKey("attest", opts.KeyPath, opts.Passwords, opts.Factory.IO)
	if err != nil {
		return err
	}
	res, err := attest.Attest(ctx, attest.Options{
		File: opts.File, Predicate: pred, PredicateType: opts.PredicateType,
		Key: key, BundlePath: opts.BundlePath,
	})
	if err != nil {
		return classify("attest "+opts.File, err)
	}
	return opts.Factory.Render(attestResult{res})
}

// VerifyAttestationOptions are the inputs of `gocli verify-attestation`.
type VerifyAttestationOptions struct {
	Factory       *command.Factory
	File          string
	KeyPath       string
	BundlePath    string
	PredicateType string
}

// NewCmdVerifyAttestation builds `gocli verify-attestation`; runF replaces
// the run step in tests.
func NewCmdVerifyAttestation(f *command.Factory, runF func(context.Context, *VerifyAttestationOptions) error) *cobra.Command {
	opts := &VerifyAttestationOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "verify-attestation FILE --key cosign.pub --bundle ATT.json [--type TYPE]",
		Short: "Verify an attestation bundle about a file, offline",
		Long: `Check an attestation bundle made by gocli attest or cosign attest-blob
--new-bundle-format: the DSSE signature with the public key, that a subject
of the statement has FILE's SHA-256, and with --type the predicate type.

Exit status: 0 verified, 1 a check failed (the message says which), 2
unreadable or unusable input. With --output json the result includes the
predicate.`,
		Example: `  gocli verify-attestation dist/gocli --key cosign.pub --bundle gocli.att.json --type spdxjson`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.KeyPath == "" || opts.BundlePath == "" {
				return command.FlagErrorf("--key and --bundle are required")
			}
			if opts.PredicateType != "" {
				if _, err := attest.ResolvePredicateType(opts.PredicateType); err != nil {
					return command.FlagErrorf("--type: %v", err)
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVerifyAttestation(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.KeyPath, "key", "", "PEM public key file (cosign.pub)")
	cmd.Flags().StringVar(&opts.BundlePath, "bundle", "", "attestation bundle file")
	cmd.Flags().StringVar(&opts.PredicateType, "type", "", "required predicate type: short name or URI")
	return cmd
}

type verifyAttestationResult struct{ *attest.VerifyResult }

func (r verifyAttestationResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s Verified attestation for %s (sha256:%s)\n  predicate: %s\n",
		cs.SuccessIcon(), r.File, r.SHA256, r.PredicateType)
	return err
}

func runVerifyAttestation(ctx context.Context, opts *VerifyAttestationOptions) error {
	if err := checkReadable("verify-attestation", opts.File); err != nil {
		return err
	}
	pub, err := loadPublicKey("verify-attestation", opts.KeyPath)
	if err != nil {
		return err
	}
	bundle, err := readInput("verify-attestation", "bundle", opts.BundlePath)
	if err != nil {
		return err
	}
	res, err := attest.Verify(ctx, attest.VerifyOptions{File: opts.File, Key: pub, Bundle: bundle, PredicateType: opts.PredicateType})
	if err != nil {
		return classify("verify-attestation "+opts.File, err)
	}
	for _, w := range res.Warnings {
		opts.Factory.Warnf("%s", w)
	}
	return opts.Factory.Render(verifyAttestationResult{res})
}
