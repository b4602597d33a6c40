package perf

import (
	"context"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
)

// NewCmdPerf builds `gocli perf` with its subcommands. Without a
// subcommand it is the shorthand for `perf run` on the configured script:
// `gocli perf --target=staging --duration=30m`.
func NewCmdPerf(f *command.Factory, runF func(context.Context, *RunOptions) error) *cobra.Command {
	opts := &RunOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "perf [flags]",
		Short: "Load-test a service with k6-style scripts and gate on SLOs",
		Long: `Run k6-style JavaScript load tests on gocli's own engine, print k6's
end-of-test summary, write SLI reports, and exit 99 when a threshold fails.

Without a subcommand, gocli perf runs the script named by perf.script in
gocli.yaml, or the only perf/*.js file, with the run flags given.`,
		Example: `  gocli perf --target=staging --duration=30m
  gocli perf run load.js --url http://localhost:8080 --vus 10 --duration 30s
  gocli perf merge seg-*.json --report sli.html
  gocli perf k8s load.js --parallelism 4 --target staging > job.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			script, err := defaultScript(f)
			if err != nil {
				return err
			}
			opts.Script = script
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRun(cmd.Context(), opts)
		},
	}
	addRunFlags(cmd, opts)
	cmd.AddCommand(NewCmdRun(f, runF))
	cmd.AddCommand(NewCmdMerge(f, nil))
	cmd.AddCommand(NewCmdK8s(f, nil))
	return cmd
}

// defaultScript is perf.script from the configuration, else the single
// perf/*.js file of the project.
func defaultScript(f *command.Factory) (string, error) {
	cfg, err := f.Config()
	if err != nil {
		return "", &command.ExitError{Code: command.ExitUsage, Err: err}
	}
	if cfg.Perf.Script != "" {
		// Relative to the project file that set it, so gocli perf works
		// from any directory of the project.
		if !filepath.IsAbs(cfg.Perf.Script) && len(cfg.Files) > 0 {
			return filepath.Join(filepath.Dir(cfg.Files[len(cfg.Files)-1]), cfg.Perf.Script), nil
		}
		return cfg.Perf.Script, nil
	}
	wd, err := f.Getwd()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(wd, "perf", "*.js"))
	switch len(matches) {
	case 1:
		return matches[0], nil
	case 0:
		return "", command.FlagErrorf("no script: set perf.script in gocli.yaml, add perf/load.js, or use gocli perf run SCRIPT.js")
	}
	rel := make([]string, len(matches))
	for i, m := range matches {
		rel[i], _ = filepath.Rel(wd, m)
	}
	return "", command.FlagErrorf("several scripts in perf/ (%s): set perf.script in gocli.yaml or use gocli perf run SCRIPT.js", strings.Join(rel, ", "))
}
