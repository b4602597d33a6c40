// Package version implements `gocli version`.
package version

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/buildinfo"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
)

// Options are the inputs of `gocli version`.
type Options struct {
	Factory *command.Factory
	Info    func() buildinfo.Info
	// Short prints the version string alone.
	Short bool
}

// NewCmdVersion builds `gocli version`; runF replaces the run step in tests.
func NewCmdVersion(f *command.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f, Info: buildinfo.Get}
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Show gocli's version, commit, build date and Go version",
		Example: `  gocli version
  gocli version --short
  gocli version -o json | jq -r .commit`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVersion(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Short, "short", false, "print the version string only")
	return cmd
}

type result struct{ buildinfo.Info }

func (r result) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "gocli %s\n  commit:   %s\n  built:    %s\n  go:       %s\n  platform: %s\n",
		r.Version, r.Commit, r.Date, r.GoVersion, r.Platform)
	return err
}

func runVersion(_ context.Context, opts *Options) error {
	info := opts.Info()
	if opts.Short && !opts.Factory.JSONOutput() {
		_, err := fmt.Fprintln(opts.Factory.IO.Out, info.Version)
		return err
	}
	return opts.Factory.Render(result{info})
}
