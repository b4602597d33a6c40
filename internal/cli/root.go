// Package cli assembles gocli's command tree and turns its errors into exit
// codes. Each command lives in its own package under internal/cli.
package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	dashboardcmd "github.com/gocli/gocli/internal/cli/dashboard"
	"github.com/gocli/gocli/internal/cli/lint"
	perfcmd "github.com/gocli/gocli/internal/cli/perf"
	sandboxcmd "github.com/gocli/gocli/internal/cli/sandbox"
	"github.com/gocli/gocli/internal/cli/scaffold"
	"github.com/gocli/gocli/internal/cli/version"
)

// NewCmdRoot builds the root command with its global flags and every
// subcommand.
func NewCmdRoot(f *command.Factory) *cobra.Command {
	g := f.Globals
	cmd := &cobra.Command{
		Use:   "gocli <command> [flags]",
		Short: "Build, check, load-test and ship consensus-backed Go services",
		Long: `gocli is one binary for a Go team's daily loop: run and break a local
consensus cluster, generate services, find goroutine leaks, load-test, and
sign what ships.

Configuration is read from gocli.yaml (searched upwards from the working
directory) merged over the user file $XDG_CONFIG_HOME/gocli/config.yaml.
Exit codes: 0 ok, 1 problems found, 2 usage or input error, 99 perf
thresholds failed (see docs/cli.md).`,
		SilenceErrors: true,
		SilenceUsage:  true,
		// Global settings that config files can also set are resolved here,
		// once flags are parsed and before any command runs.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return applyGlobals(cmd, f)
		},
	}
	cmd.SetOut(f.IO.Out)
	cmd.SetErr(f.IO.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &command.FlagError{Err: err} })

	pf := cmd.PersistentFlags()
	pf.StringVarP(&g.Output, "output", "o", "text", "output format: text or json")
	pf.BoolVar(&g.NoColor, "no-color", false, "disable colour (also NO_COLOR=1)")
	pf.CountVarP(&g.Verbose, "verbose", "v", "log more to stderr (-v info, -vv debug)")
	pf.StringVar(&g.ConfigFile, "config", "", "config file to use instead of gocli.yaml discovery")

	cmd.AddCommand(version.NewCmdVersion(f, nil))
	cmd.AddCommand(sandboxcmd.NewCmdSandbox(f))
	cmd.AddCommand(dashboardcmd.NewCmdDashboard(f, nil))
	cmd.AddCommand(lint.NewCmdLint(f, nil))
	cmd.AddCommand(perfcmd.NewCmdPerf(f, nil))
	cmd.AddCommand(scaffold.NewCmdScaffold(f, nil))
	return cmd
}

func applyGlobals(cmd *cobra.Command, f *command.Factory) error {
	g := f.Globals
	if err := command.ValidOutput(g.Output); err != nil {
		return err
	}
	// Completion scripts and help never depend on configuration, so a broken
	// gocli.yaml cannot stop a user from fixing their shell setup.
	if cmd.Name() == cobra.ShellCompRequestCmd || cmd.Name() == cobra.ShellCompNoDescRequestCmd ||
		(cmd.Parent() != nil && cmd.Parent().Name() == "completion") {
		return nil
	}
	cfg, err := f.Config()
	if err != nil {
		return &command.ExitError{Code: command.ExitUsage, Err: err, Hint: "fix the file, or pass --config to use another one"}
	}
	if !cmd.Flags().Changed("output") && cfg.Output != "" {
		g.Output = cfg.Output
	}
	if g.NoColor || cfg.NoColor || os.Getenv("NO_COLOR") != "" {
		f.IO.SetColorEnabled(false)
	}
	return nil
}
