package perf

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/perf"
)

// MergeOptions are the inputs of `gocli perf merge`.
type MergeOptions struct {
	Factory       *command.Factory
	Files         []string
	SummaryExport string
	Reports       []string
	Baseline      string
	NoSummary     bool
}

// NewCmdMerge builds `gocli perf merge`.
func NewCmdMerge(f *command.Factory, runF func(context.Context, *MergeOptions) error) *cobra.Command {
	opts := &MergeOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "merge FILE... | -",
		Short: "Merge the summary exports of segment runs into one result",
		Long: `Merge the --summary-export files of runs of the same script with
--segment i/N into the result of the whole test: histograms are merged (not
averaged), thresholds are evaluated on the merged data, and the exit code is
99 when one fails. "-" reads concatenated JSON documents from stdin, as
kubectl logs prints them.`,
		Example: `  gocli perf merge seg1.json seg2.json seg3.json --report sli.html
  kubectl logs -l job-name=load --tail=-1 | gocli perf merge - --summary-export all.json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			for _, r := range opts.Reports {
				if _, err := reportKind(r); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runMerge(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.SummaryExport, "summary-export", "", "write the merged summary JSON to FILE, or - for stdout")
	fl.StringArrayVar(&opts.Reports, "report", nil, "write an SLI report to FILE.html or FILE.md, repeatable")
	fl.StringVar(&opts.Baseline, "baseline", "", "summary JSON of an earlier run to compare with")
	fl.BoolVar(&opts.NoSummary, "no-summary", false, "do not print the end-of-test summary")
	return cmd
}

func runMerge(ctx context.Context, o *MergeOptions) error {
	var parts []*perf.Summary
	for _, name := range o.Files {
		var r io.Reader
		if name == "-" {
			r = o.Factory.IO.In
		} else {
			fh, err := os.Open(name)
			if err != nil {
				return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf merge: %w", err)}
			}
			defer fh.Close()
			r = fh
		}
		sums, err := perf.ReadResults(r)
		if err != nil {
			return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf merge: %s: %w", name, err)}
		}
		parts = append(parts, sums...)
	}
	merged, err := perf.Merge(parts...)
	if err != nil {
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf merge: %w", err)}
	}
	fmt.Fprintf(o.Factory.IO.ErrOut, "merged %d results\n", len(parts))
	return finish(ctx, o.Factory, merged, outputs{summaryExport: o.SummaryExport, reports: o.Reports, baseline: o.Baseline, noSummary: o.NoSummary})
}
