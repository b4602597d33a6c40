// Package dashboard implements `gocli dashboard`: the interactive terminal
// view of a sandbox cluster (or, read-only, of any etcd v3 cluster), and a
// one-shot text or JSON overview when there is no terminal.
package dashboard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/gocli/gocli/dashboard"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/control"
)

// The sandbox control API client is what the dashboard drives.
var _ dashboard.ControlClient = (*control.Client)(nil)

// Options are the inputs of `gocli dashboard`.
type Options struct {
	Factory *command.Factory
	// Name is the sandbox cluster to attach to.
	Name string
	// Endpoints, when set, attach read-only to an etcd v3 cluster instead.
	Endpoints []string
	// Once prints the overview once and exits.
	Once bool
	// Refresh is the slow status refresh of the interactive view.
	Refresh time.Duration

	// Connect opens the cluster source; tests replace it. The returned
	// func releases it.
	Connect func(ctx context.Context, opts *Options) (dashboard.ControlClient, func(), error)
	// Run runs the interactive program; tests replace it.
	Run func(ctx context.Context, m *dashboard.Model, io *iostreams.IOStreams) error
}

// NewCmdDashboard builds `gocli dashboard`; runF replaces the run step in
// tests.
func NewCmdDashboard(f *command.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f, Connect: connect, Run: runProgram}
	cmd := &cobra.Command{
		Use:   "dashboard",
		Short: "Watch a running cluster and break it with a key",
		Long: `An interactive terminal view of a sandbox cluster: leader, term, commit index,
per-node health and lag, a leader timeline, write throughput and commit p99
sparklines and the event log. Keys kill, restart, pause, partition, delay and
heal nodes, transfer leadership, add and remove nodes and run a short bench;
press ? for all of them.

With --endpoints it attaches read-only to any etcd v3 cluster (a real etcd
too) through Maintenance.Status and MemberList; the fault keys are off.

With --once, or when stdout or stdin is not a terminal, it prints the
overview once (text, or JSON with -o json) and exits. See docs/dashboard.md.`,
		Example: `  gocli sandbox up --detach
  gocli dashboard
  gocli dashboard --name big
  gocli dashboard --endpoints 127.0.0.1:2379,127.0.0.1:22379
  gocli dashboard --once -o json | jq .leader`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(opts.Endpoints) > 0 && cmd.Flags().Changed("name") {
				return command.FlagErrorf("--name and --endpoints cannot be used together: --name attaches to a sandbox, --endpoints to any etcd cluster")
			}
			for _, ep := range opts.Endpoints {
				if _, _, err := net.SplitHostPort(ep); err != nil {
					return command.FlagErrorf("--endpoints: %q is not host:port", ep)
				}
			}
			if len(opts.Endpoints) == 0 {
				// Like the sandbox commands: sandbox.name in gocli.yaml
				// names the default cluster.
				if !cmd.Flags().Changed("name") && f.Config != nil {
					if cfg, err := f.Config(); err == nil && cfg != nil && cfg.Sandbox.Name != "" {
						opts.Name = cfg.Sandbox.Name
					}
				}
				if err := sandbox.ValidateName(opts.Name); err != nil {
					return command.FlagErrorf("--name: %v", err)
				}
			}
			if opts.Refresh <= 0 {
				return command.FlagErrorf("--refresh must be positive")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runDashboard(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "dev", "sandbox cluster to attach to (default: sandbox.name in gocli.yaml, else dev)")
	cmd.Flags().StringSliceVar(&opts.Endpoints, "endpoints", nil, "attach read-only to these etcd v3 endpoints (host:port,...)")
	cmd.Flags().BoolVar(&opts.Once, "once", false, "print the overview once and exit")
	cmd.Flags().DurationVar(&opts.Refresh, "refresh", dashboard.DefaultRefresh, "slow status refresh period (events update the view at once)")
	return cmd
}

// connect opens the source: the named sandbox's control API, or an etcd
// client for --endpoints.
func connect(_ context.Context, opts *Options) (dashboard.ControlClient, func(), error) {
	if len(opts.Endpoints) > 0 {
		src, err := dashboard.NewEtcdSource(opts.Endpoints)
		if err != nil {
			return nil, nil, &command.ExitError{Code: command.ExitProblems, Err: err}
		}
		return src, func() { _ = src.Close() }, nil
	}
	m := sandbox.NewManager("")
	if opts.Factory.Sandbox != nil {
		var err error
		if m, err = opts.Factory.Sandbox(); err != nil {
			return nil, nil, err
		}
	}
	hint := "start it with: gocli sandbox up --detach --name " + opts.Name
	info, err := m.Get(opts.Name)
	if errors.Is(err, sandbox.ErrUnknownCluster) {
		return nil, nil, &command.ExitError{Code: command.ExitUsage, Err: err, Hint: hint}
	}
	if err != nil {
		return nil, nil, &command.ExitError{Code: command.ExitProblems, Err: err}
	}
	if !info.Running || info.Control == "" {
		return nil, nil, &command.ExitError{Code: command.ExitProblems, Err: fmt.Errorf("%w: %q", sandbox.ErrNotRunning, opts.Name), Hint: hint}
	}
	c, err := control.NewClient(info.Control)
	if err != nil {
		return nil, nil, &command.ExitError{Code: command.ExitProblems, Err: err}
	}
	return c, func() {}, nil
}

func runDashboard(ctx context.Context, opts *Options) error {
	f := opts.Factory
	c, release, err := opts.Connect(ctx, opts)
	if err != nil {
		return err
	}
	defer release()
	if opts.Once || f.JSONOutput() || !f.IO.IsStdoutTTY() || !f.IO.IsStdinTTY() {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		ov, err := dashboard.Snapshot(sctx, c)
		if err != nil {
			return &command.ExitError{Code: command.ExitProblems, Err: err, Hint: "is the cluster running? gocli sandbox status --name " + opts.Name}
		}
		return f.Render(overview{ov})
	}
	mopts := []dashboard.Option{
		dashboard.WithContext(ctx),
		dashboard.WithName(opts.Name),
		dashboard.WithNoColor(!f.IO.ColorEnabled()),
		dashboard.WithRefresh(opts.Refresh),
	}
	if len(opts.Endpoints) == 0 {
		mopts = append(mopts, dashboard.WithBench(dashboard.Bench), dashboard.WithScrape(dashboard.ScrapeCommitLatency))
	}
	m := dashboard.New(c, mopts...)
	defer m.Close()
	return opts.Run(ctx, m, f.IO)
}

// FPS is the interactive view's maximum frame rate.
const FPS = 10

func runProgram(ctx context.Context, m *dashboard.Model, ios *iostreams.IOStreams) error {
	// The renderer re-parses the frame on every tick even when nothing
	// changed; the dashboard has no animation, so a low frame rate keeps an
	// idle dashboard near zero CPU while keys still answer within 100ms.
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(ios.In), tea.WithOutput(ios.Out), tea.WithFPS(FPS))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // Ctrl-C through the signal context
	}
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}

// overview prints dashboard.Overview as text; JSON is its encoding.
type overview struct{ dashboard.Overview }

func (o overview) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	leader := cs.Red("none")
	if o.Leader != 0 {
		leader = fmt.Sprint(o.Leader)
	}
	fmt.Fprintf(w, "%s: leader %s, term %d, %d/%d healthy\n", cs.Bold(o.Name), leader, o.Term, o.Healthy, len(o.Nodes))
	if o.ReadOnly != "" {
		fmt.Fprintf(w, "read-only: %s\n", o.ReadOnly)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tROLE\tTERM\tCOMMIT\tAPPLIED\tLAG\tHEALTH\tENDPOINT")
	for _, n := range o.Nodes {
		health := n.Health
		switch n.Health {
		case "healthy":
			health = cs.Green(health)
		case "down", "unreachable":
			health = cs.Red(health)
		default:
			health = cs.Yellow(health)
		}
		id := fmt.Sprint(n.ID)
		if n.ID == o.Leader {
			id += "*"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d\t%s\t%s\n", id, n.Role, n.Term, n.Commit, n.Applied, n.Lag, health, n.Endpoint)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	faults := o.FaultsText
	if faults == "" {
		faults = "none"
	}
	_, err := fmt.Fprintf(w, "faults: %s\n", strings.TrimSpace(faults))
	return err
}
