package supplychain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/buildinfo"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/supplychain/sbom"
)

// SbomOptions are the inputs of `gocli sbom`.
type SbomOptions struct {
	Factory      *command.Factory
	Target       string
	Format       string
	OutputFile   string
	Name         string
	Reproducible bool
	AllowNetwork bool
	// LookupEnv reads SOURCE_DATE_EPOCH (os.LookupEnv).
	LookupEnv func(string) (string, bool)
}

// NewCmdSbom builds `gocli sbom`; runF replaces the run step in tests.
func NewCmdSbom(f *command.Factory, runF func(context.Context, *SbomOptions) error) *cobra.Command {
	opts := &SbomOptions{Factory: f, LookupEnv: os.LookupEnv}
	formats := make([]string, 0, 4)
	for _, ff := range sbom.Formats() {
		formats = append(formats, string(ff))
	}
	cmd := &cobra.Command{
		Use:   "sbom [TARGET]",
		Short: "Make an SBOM (SPDX, CycloneDX) of a directory, Go binary or image, offline",
		Long: `Catalogue TARGET with syft and write an SBOM: SPDX 2.3 JSON, CycloneDX 1.6
JSON, syft JSON or a table.

TARGET (default .) is a directory, a file (a Go binary lists the modules of
its build info), an OCI layout directory, or a docker or OCI archive. Prefix
it to choose the kind explicitly: dir:, file:, oci-dir:, docker-archive:,
oci-archive:, registry:. Registry references need --allow-network; gocli
never falls back to a container daemon or a registry on its own, and
offline the Go cataloger reads go.mod/go.sum instead of running go list.

--reproducible makes the output depend only on the input: the SPDX
document namespace and the CycloneDX serial number are derived from the
content, and timestamps come from SOURCE_DATE_EPOCH (the Unix epoch when
unset).

The SBOM goes to stdout, or atomically to --output-file (then a summary,
or with -o json its JSON form, goes to stdout). On this command
-o/--output names the SBOM file; -o json and -o text keep their global
meaning (the summary's format): write ./json for a file of that name.`,
		Example: `  gocli sbom . --format cyclonedx-json --output sbom.cdx.json
  gocli sbom dist/gocli --format spdx-json --reproducible > gocli.spdx.json
  gocli sbom oci-dir:build/image --format table`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Target = "."
			if len(args) == 1 {
				opts.Target = args[0]
			}
			if _, err := sbom.ParseFormat(opts.Format); err != nil {
				return command.FlagErrorf("--format: %v", err)
			}
			if cmd.Flags().Changed("output-file") {
				fmt.Fprintln(cmd.ErrOrStderr(), "gocli sbom: --output-file is deprecated: use --output")
			}
			// -o json / -o text keep the global flag's meaning.
			if cmd.Flags().Changed("output") && (opts.OutputFile == "json" || opts.OutputFile == "text") {
				f.Globals.Output, opts.OutputFile = opts.OutputFile, ""
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runSbom(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "format", string(sbom.FormatSPDXJSON), "SBOM format: "+strings.Join(formats, ", "))
	// The local -o/--output shadows the global format switch here.
	cmd.Flags().StringVarP(&opts.OutputFile, "output", "o", "", "write the SBOM to `FILE` atomically instead of stdout (-o json or -o text: the summary's format)")
	cmd.Flags().StringVar(&opts.OutputFile, "output-file", "", "write the SBOM to `FILE` (deprecated: use --output)")
	// Hidden rather than MarkDeprecated: pflag prints its notice on stdout,
	// where the SBOM goes.
	_ = cmd.Flags().MarkHidden("output-file")
	cmd.Flags().StringVar(&opts.Name, "name", "", "name of the SBOM's subject (default: the target path)")
	cmd.Flags().BoolVar(&opts.Reproducible, "reproducible", false, "content-derived IDs and SOURCE_DATE_EPOCH timestamps")
	cmd.Flags().BoolVar(&opts.AllowNetwork, "allow-network", false, "allow registry targets and network lookups")
	return cmd
}

type sbomResult struct {
	Target   sbom.Target    `json:"target"`
	Format   string         `json:"format"`
	File     string         `json:"file"`
	Packages []sbom.Package `json:"packages"`
}

func (r sbomResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s Wrote %s SBOM of %s (%s, %d packages) to %s\n",
		cs.SuccessIcon(), r.Format, r.Target.Path, r.Target.Kind, len(r.Packages), r.File)
	return err
}

func runSbom(ctx context.Context, opts *SbomOptions) error {
	format, err := sbom.ParseFormat(opts.Format)
	if err != nil {
		return command.FlagErrorf("--format: %v", err)
	}
	target, err := sbom.ParseTarget(opts.Target)
	if err != nil {
		return command.InputErrorf("sbom: %w", err)
	}
	enc := sbom.EncodeOptions{Format: format, Reproducible: opts.Reproducible}
	if opts.Reproducible {
		if enc.Created, err = sourceDateEpoch(opts.LookupEnv); err != nil {
			return command.InputErrorf("sbom: %w", err)
		}
	}
	doc, err := sbom.Generate(ctx, sbom.Options{
		Target: target, Name: opts.Name, AllowNetwork: opts.AllowNetwork,
		ToolName: "gocli", ToolVersion: buildinfo.Get().Version,
	})
	if errors.Is(err, sbom.ErrNetworkNotAllowed) {
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("sbom %s: %w", opts.Target, err)}
	}
	if err != nil {
		return command.InputErrorf("sbom %s: %w", opts.Target, err)
	}
	if opts.OutputFile == "" {
		return doc.Encode(opts.Factory.IO.Out, enc)
	}
	if err := doc.WriteFile(opts.OutputFile, enc); err != nil {
		return command.InputErrorf("sbom: write %s: %w", opts.OutputFile, err)
	}
	return opts.Factory.Render(sbomResult{Target: target, Format: string(format), File: opts.OutputFile, Packages: doc.Packages()})
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/).
func sourceDateEpoch(lookup func(string) (string, bool)) (time.Time, error) {
	v, ok := lookup("SOURCE_DATE_EPOCH")
	if !ok || v == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	secs, err := strconv.ParseInt(v, 10, 64)
	if err != nil || secs < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a non-negative integer", v)
	}
	return time.Unix(secs, 0).UTC(), nil
}
