// Package lint implements `gocli lint` and `gocli lint rules`.
package lint

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/atomicfile"
	"github.com/gocli/gocli/internal/buildinfo"
	"github.com/gocli/gocli/internal/cli/command"
	golint "github.com/gocli/gocli/lint"
	"github.com/gocli/gocli/lint/runner"
)

// Options are the inputs of `gocli lint`.
type Options struct {
	Factory *command.Factory

	Patterns      []string
	Rules         []string
	Format        string
	OutputFile    string
	Fix           bool
	Baseline      string
	WriteBaseline string
	Tests         bool
	NoCache       bool
	Exclude       []string
	Dir           string

	Dynamic bool
	Count   int
	Run     string
}

// NewCmdLint builds `gocli lint`; runF replaces the run step in tests.
func NewCmdLint(f *command.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "lint [packages...]",
		Short: "Find goroutine leaks with static analyzers and Go's leak profile",
		Long: `Find goroutine leaks. Static analyzers (see 'gocli lint rules') run on the
packages given (default ./...); --dynamic runs their tests with Go's
goroutineleak profile instead and reports the goroutines it saw leak.

Findings can be silenced with '//nolint:goroutine-leak // reason' (the reason
is required) or a baseline file of known findings. Exit status: 0 clean,
1 findings, 2 error (bad flags, packages that do not load).`,
		Example: `  gocli lint ./...
  gocli lint --rule abandonedsend,blockedrecv ./internal/...
  gocli lint --format sarif --output gocli-lint.sarif ./...
  gocli lint --format github ./...          # annotations in GitHub Actions
  gocli lint --write-baseline lint-baseline.json ./...
  gocli lint --baseline lint-baseline.json ./...
  gocli lint --fix ./...
  gocli lint --dynamic --count 3 ./pkg/...
  go vet -vettool=$(command -v gocli) ./...`,
		// Packages are arguments; "rules" is still found as a subcommand.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Patterns = args
			if cmd.Flags().Changed("output-file") {
				fmt.Fprintln(cmd.ErrOrStderr(), "gocli lint: --output-file is deprecated: use --output")
			}
			if err := outputAsFormat(cmd, opts); err != nil {
				return err
			}
			if !cmd.Flags().Changed("format") && !cmd.Flags().Changed("output") && f.JSONOutput() {
				opts.Format = "json"
			}
			if err := validate(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runLint(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&opts.Rules, "rule", nil, "rules to run: goroutine-leak (all) or rule names, comma-separated")
	fl.StringVar(&opts.Format, "format", "text", "report format: text, json, sarif or github")
	// lint's --output names the report file and shadows the global
	// -o/--output format switch; -o json and -o text still select the format.
	fl.StringVarP(&opts.OutputFile, "output", "o", "", "write the report to `FILE` instead of stdout (-o json or -o text: the report format, like --format)")
	fl.StringVar(&opts.OutputFile, "output-file", "", "write the report to `FILE` (deprecated: use --output)")
	// Hidden rather than MarkDeprecated: pflag would print its notice on
	// stdout, inside the report.
	_ = fl.MarkHidden("output-file")
	fl.BoolVar(&opts.Fix, "fix", false, "apply suggested fixes to the source files")
	fl.StringVar(&opts.Baseline, "baseline", "", "do not report findings recorded in `FILE`")
	fl.StringVar(&opts.WriteBaseline, "write-baseline", "", "record the current findings in `FILE` and exit 0")
	fl.BoolVar(&opts.Tests, "tests", false, "also analyse _test.go files")
	fl.BoolVar(&opts.NoCache, "no-cache", false, "analyse every package again instead of reusing cached results of unchanged packages")
	fl.StringSliceVar(&opts.Exclude, "exclude", nil, "skip findings in these paths (dir/ or glob), added to gocli.yaml's lint.exclude")
	fl.StringVarP(&opts.Dir, "dir", "C", "", "run in `DIR` (paths in the report are relative to it)")
	fl.BoolVar(&opts.Dynamic, "dynamic", false, "run the packages' tests with the goroutineleak profile (Go 1.26+)")
	fl.IntVar(&opts.Count, "count", 1, "with --dynamic: run the tests `N` times to catch flaky leaks")
	fl.StringVar(&opts.Run, "run", "", "with --dynamic: run only tests matching `REGEX`")
	cmd.AddCommand(NewCmdRules(f, nil))
	return cmd
}

// outputAsFormat keeps the global flag's meaning for -o json and -o text
// (lint's --output otherwise names the report file): they select the
// format, and a different --format beside them is an error.
func outputAsFormat(cmd *cobra.Command, opts *Options) error {
	if !cmd.Flags().Changed("output") {
		return nil
	}
	switch opts.OutputFile {
	case "json", "text":
		if cmd.Flags().Changed("format") && opts.Format != opts.OutputFile {
			return command.FlagErrorf("-o/--output %s asks for the %s format but --format is %s: lint's --output names the report file, use --format for the format (write ./%s for a file of that name)",
				opts.OutputFile, opts.OutputFile, opts.Format, opts.OutputFile)
		}
		opts.Format, opts.OutputFile = opts.OutputFile, ""
	}
	return nil
}

func validate(opts *Options) error {
	switch opts.Format {
	case "text", "json", "sarif", "github":
	default:
		return command.FlagErrorf("--format %q is not a format: use text, json, sarif or github", opts.Format)
	}
	if opts.Fix && opts.Dynamic {
		return command.FlagErrorf("--fix works with the static analyzers only, not with --dynamic")
	}
	if opts.WriteBaseline != "" && opts.Baseline != "" {
		return command.FlagErrorf("--write-baseline and --baseline cannot be used together")
	}
	if !opts.Dynamic && (opts.Count != 1 || opts.Run != "") {
		return command.FlagErrorf("--count and --run need --dynamic")
	}
	if opts.Count < 1 {
		return command.FlagErrorf("--count must be at least 1")
	}
	if _, err := golint.Select(opts.Rules); err != nil {
		return command.FlagErrorf("--rule: %v", err)
	}
	return nil
}

func runLint(ctx context.Context, opts *Options) error {
	f := opts.Factory
	cfg, err := f.Config()
	if err != nil {
		return &command.ExitError{Code: command.ExitUsage, Err: err}
	}
	rules := opts.Rules
	if len(rules) == 0 {
		rules = cfg.Lint.Rules
	}
	analyzers, err := golint.Select(rules)
	if err != nil {
		return command.InputErrorf("lint: gocli.yaml lint.rules: %v", err)
	}
	ropts := runner.Options{
		Dir:       opts.Dir,
		Patterns:  opts.Patterns,
		Analyzers: analyzers,
		Tests:     opts.Tests,
		Exclude:   append(append([]string(nil), cfg.Lint.Exclude...), opts.Exclude...),
	}
	if !opts.NoCache {
		ropts.CacheDir = runner.DefaultCacheDir()
	}
	baseline := opts.Baseline
	if baseline == "" && opts.WriteBaseline == "" {
		baseline = cfg.Lint.Baseline
	}
	if baseline != "" {
		b, err := runner.ReadBaseline(baseline)
		if err != nil {
			return command.InputErrorf("lint: %v", err)
		}
		ropts.Baseline = b
	}

	var res *runner.Result
	if opts.Dynamic {
		res, err = runDynamic(ctx, opts, ropts)
	} else {
		res, err = runner.Run(ctx, ropts)
	}
	if err != nil {
		var lerr *runner.LoadError
		switch {
		case errors.Is(err, context.Canceled):
			return err
		case errors.As(err, &lerr), errors.Is(err, runner.ErrNoPackages):
			return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("lint: %w", err), Hint: "fix the build errors, or name the packages to lint"}
		default:
			return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("lint: %w", err)}
		}
	}

	if opts.WriteBaseline != "" {
		if err := writeBaseline(opts.WriteBaseline, res); err != nil {
			return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("lint: %w", err)}
		}
		fmt.Fprintf(f.IO.ErrOut, "wrote %d finding(s) to %s\n", len(res.Findings), opts.WriteBaseline)
		return nil
	}

	if opts.Fix {
		dir := opts.Dir
		if dir == "" {
			dir, _ = f.Getwd()
		}
		rep, err := runner.ApplyFixes(dir, res.Findings)
		if err != nil {
			return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("lint: %w", err)}
		}
		fmt.Fprintf(f.IO.ErrOut, "applied %d fix(es) in %d file(s)\n", rep.Fixed, len(rep.Files))
		// What a fix resolved is no longer a finding.
		var left []runner.Finding
		for _, fd := range res.Findings {
			if len(fd.Fixes) == 0 {
				left = append(left, fd)
			}
		}
		res.Findings = left
		if res.Findings == nil {
			res.Findings = []runner.Finding{}
		}
	}

	if err := writeReport(opts, res); err != nil {
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("lint: write report: %w", err)}
	}
	if opts.OutputFile != "" || opts.Format == "github" || opts.Format == "sarif" {
		fmt.Fprintln(f.IO.ErrOut, runner.Summary(res))
	}
	if len(res.Findings) > 0 {
		return command.SilentExit(command.ExitProblems)
	}
	return nil
}

func writeBaseline(path string, res *runner.Result) error {
	if err := atomicfile.Write(path, 0o644, runner.NewBaseline(res.Findings).Write); err != nil {
		return fmt.Errorf("write baseline %s: %w", path, err)
	}
	return nil
}

// writeReport writes the report to stdout or, atomically, to the file
// (creating its directory): a CI step never uploads half a SARIF file.
func writeReport(opts *Options, res *runner.Result) error {
	info := buildinfo.Get()
	tool := runner.ToolInfo{Name: "gocli", Version: strings.TrimPrefix(info.Version, "v")}
	if opts.OutputFile == "" {
		return runner.Write(opts.Factory.IO.Out, opts.Format, res, tool)
	}
	if err := os.MkdirAll(filepath.Dir(opts.OutputFile), 0o755); err != nil {
		return err
	}
	return atomicfile.Write(opts.OutputFile, 0o644, func(w io.Writer) error {
		return runner.Write(w, opts.Format, res, tool)
	})
}
