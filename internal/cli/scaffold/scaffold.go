// Package scaffold implements `gocli scaffold` and `gocli scaffold
// templates`.
package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/buildinfo"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/scaffold"
)

// Options are the inputs of `gocli scaffold`.
type Options struct {
	Factory *command.Factory

	Service  string
	Module   string
	Template string
	Dir      string
	Replicas int
	Force    bool
	DryRun   bool

	// Engine returns gocli's embedded module source holding consensus/.
	Engine func() (fs.FS, error)
	// Prompt asks for missing values on a terminal; tests replace it.
	Prompt func(*Options) error
	// Version names the gocli version in generated files.
	Version func() string
}

// NewCmdScaffold builds `gocli scaffold`; runF replaces the run step in tests.
func NewCmdScaffold(f *command.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f, Engine: EngineSource, Prompt: promptForm, Version: buildinfo.Version}
	cmd := &cobra.Command{
		Use:   "scaffold --service NAME [--template plain|istio] [flags]",
		Short: "Generate a consensus-backed Go service with a Helm chart",
		Long: `Generate a production-ready Go service that replicates its data with
gocli's Raft engine: an HTTP JSON API, health and metrics endpoints,
Dockerfile, Makefile, CI workflow, perf script and a Helm chart
(StatefulSet, PodDisruptionBudget, NetworkPolicy). --template istio adds
sidecar injection, VirtualService, DestinationRule, PeerAuthentication and
AuthorizationPolicy.

The spec is checked before anything is written, and the project is written
atomically: a failed run leaves nothing behind. On a terminal, missing
values are asked for; elsewhere --service is required.`,
		Example: `  gocli scaffold --service user
  gocli scaffold --service user --template istio --module github.com/acme/user
  gocli scaffold --service orders --dir services/orders --replicas 5
  gocli scaffold --service user --dry-run -o json
  gocli scaffold templates`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Replicas < 0 {
				return command.FlagErrorf("--replicas must be positive, got %d", opts.Replicas)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runScaffold(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&opts.Service, "service", "s", "", "service name: a DNS label such as user or order-api")
	fl.StringVarP(&opts.Template, "template", "t", "", "template: plain or istio (default plain, or scaffold.template in gocli.yaml)")
	fl.StringVarP(&opts.Module, "module", "m", "", "Go module path (default example.com/NAME, or scaffold.modulePrefix/NAME)")
	fl.StringVarP(&opts.Dir, "dir", "d", "", "directory to create (default ./NAME)")
	fl.IntVar(&opts.Replicas, "replicas", 0, "consensus nodes in the chart: 1, 3, 5, 7 or 9 (default 3)")
	fl.BoolVar(&opts.Force, "force", false, "write into a non-empty directory, replacing generated files")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "list the files that would be written, write nothing")
	_ = cmd.RegisterFlagCompletionFunc("template", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return scaffold.TemplateNames(), cobra.ShellCompDirectiveNoFileComp
	})
	cmd.AddCommand(NewCmdTemplates(f, nil))
	return cmd
}

// applyDefaults fills unset options from gocli.yaml, then built-in
// defaults.
func applyDefaults(opts *Options) error {
	f := opts.Factory
	if f.Config != nil {
		cfg, err := f.Config()
		if err != nil {
			return err
		}
		sc := cfg.Scaffold
		if opts.Template == "" {
			opts.Template = sc.Template
		}
		if opts.Replicas == 0 {
			opts.Replicas = sc.Replicas
		}
		if opts.Module == "" && sc.ModulePrefix != "" && opts.Service != "" {
			opts.Module = strings.TrimSuffix(sc.ModulePrefix, "/") + "/" + opts.Service
		}
	}
	if opts.Dir == "" && opts.Service != "" {
		opts.Dir = opts.Service
	}
	return nil
}

func runScaffold(ctx context.Context, opts *Options) error {
	f := opts.Factory
	if opts.Service == "" {
		if !f.IO.CanPrompt() {
			return command.FlagErrorf("--service is required: there is no terminal to ask on (for example --service user)")
		}
		if err := opts.Prompt(opts); err != nil {
			return err
		}
	}
	if err := applyDefaults(opts); err != nil {
		return err
	}
	spec := scaffold.Spec{Service: opts.Service, Module: opts.Module, Template: opts.Template, Replicas: opts.Replicas}
	spec.Defaults()
	if err := spec.Validate(); err != nil {
		return invalidInput(err)
	}
	engine, err := opts.Engine()
	if err != nil {
		return err
	}
	g := &scaffold.Generator{
		Spec:    spec,
		Dir:     opts.Dir,
		DryRun:  opts.DryRun,
		Force:   opts.Force,
		Engine:  engine,
		Version: opts.Version(),
	}
	plan, err := g.Run(ctx)
	if err != nil {
		if errors.Is(err, scaffold.ErrInvalidSpec) {
			return invalidInput(err)
		}
		return &command.ExitError{Code: command.ExitProblems, Err: fmt.Errorf("scaffold: %w", err), Hint: "nothing was written"}
	}
	return f.Render(&planResult{Plan: plan, tty: f.IO.IsStdoutTTY()})
}

func invalidInput(err error) error {
	return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("scaffold: %w", err), Hint: "nothing was written; see gocli scaffold --help"}
}

type planResult struct {
	*scaffold.Plan
	tty bool
}

func (r *planResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	if r.DryRun || !r.tty {
		for _, f := range r.Files {
			fmt.Fprintf(tw, "%s\t%s\t%d\n", f.Action, f.Path, f.Size)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if r.DryRun {
		_, err := fmt.Fprintf(w, "dry run: %d files for %s (%s) in %s; nothing written\n", len(r.Files), r.Spec.Service, r.Spec.Template, r.Dir)
		return err
	}
	written := 0
	for _, f := range r.Files {
		if f.Action != scaffold.ActionSkip {
			written++
		}
	}
	fmt.Fprintf(w, "%s %s: %d files in %s (%s template, %d replicas, %s)\n", cs.SuccessIcon(), r.Spec.Service, written, r.Dir, r.Spec.Template, r.Spec.Replicas, r.Elapsed.Round(time.Millisecond))
	dir := r.Dir
	if !filepath.IsAbs(dir) && !strings.HasPrefix(dir, ".") {
		dir = "./" + dir
	}
	_, err := fmt.Fprintf(w, "\nNext:\n  cd %s\n  go test ./...\n  make cluster\n", dir)
	return err
}
