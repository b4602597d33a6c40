package sandbox

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/control"
)

// FaultOptions are the inputs of the fault commands that act on one node
// (kill, restart, pause, resume, transfer-leader, remove-node, delay, drop).
type FaultOptions struct {
	Target
	Op   string
	Node uint64
	// Latency and Jitter are delay's; Rate is drop's.
	Latency, Jitter time.Duration
	Rate            float64
}

type faultCommand struct {
	op, short, long, example string
	// use overrides the usage line "OP NODE" when the command has required
	// flags to show.
	use  string
	call func(context.Context, *control.Client, *FaultOptions) error
	done string
	// flags binds the command's own flags; check validates them once parsed.
	flags func(*cobra.Command, *FaultOptions)
	check func(*cobra.Command, *FaultOptions) error
}

var faultCommands = []faultCommand{
	{op: "kill", short: "Kill a node (SIGKILL with --processes)",
		example: "  gocli sandbox kill 2", done: "killed node %d",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error { return c.Kill(ctx, o.Node) }},
	{op: "restart", short: "Restart a killed node with its data",
		example: "  gocli sandbox restart 2", done: "restarted node %d",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error { return c.Restart(ctx, o.Node) }},
	{op: "pause", short: "Freeze a node (SIGSTOP with --processes)",
		example: "  gocli sandbox pause 1", done: "paused node %d",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error { return c.Pause(ctx, o.Node) }},
	{op: "resume", short: "Thaw a paused node",
		example: "  gocli sandbox resume 1", done: "resumed node %d",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error { return c.Resume(ctx, o.Node) }},
	{op: "transfer-leader", short: "Make a node the leader",
		example: "  gocli sandbox transfer-leader 3", done: "node %d is the leader",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error {
			return c.TransferLeader(ctx, o.Node)
		}},
}

// NewCmdFault builds a fault command that takes one NODE argument.
func NewCmdFault(f *command.Factory, fc faultCommand, runF func(context.Context, *FaultOptions) error) *cobra.Command {
	opts := &FaultOptions{Target: Target{Factory: f}, Op: fc.op}
	use := fc.use
	if use == "" {
		use = fc.op + " NODE"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   fc.short,
		Long:    fc.long,
		Example: fc.example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseNode(args[0])
			if err != nil {
				return err
			}
			opts.Node = id
			if fc.check != nil {
				if err := fc.check(cmd, opts); err != nil {
					return err
				}
			}
			return runOr(cmd.Context(), opts, runF, func(ctx context.Context, o *FaultOptions) error {
				return runFault(ctx, o, fc)
			})
		},
	}
	addNameFlag(cmd, &opts.Target)
	if fc.flags != nil {
		fc.flags(cmd, opts)
	}
	return cmd
}

type faultResult struct {
	OK      bool   `json:"ok"`
	Message string `json:"message"`
}

func (r faultResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s %s\n", cs.SuccessIcon(), r.Message)
	return err
}

func runFault(ctx context.Context, opts *FaultOptions, fc faultCommand) error {
	return opts.callControl(ctx, 30*time.Second, func(ctx context.Context, c *control.Client) error {
		if err := fc.call(ctx, c, opts); err != nil {
			return cliErr(err, opts.Name)
		}
		return opts.Factory.Render(faultResult{OK: true, Message: fmt.Sprintf(fc.done, opts.Node)})
	})
}

// NewCmdDelay builds `gocli sandbox delay`.
func NewCmdDelay(f *command.Factory, runF func(context.Context, *FaultOptions) error) *cobra.Command {
	return NewCmdFault(f, faultCommand{op: "delay", use: "delay NODE --latency D [--jitter D]",
		short: "Delay every message to and from a node",
		long:  "Delay every raft message to and from NODE by --latency plus up to --jitter. --latency 0 removes the delay; heal removes every fault.",
		example: `  gocli sandbox delay 2 --latency 50ms --jitter 10ms
  gocli sandbox delay 2 --latency 0`,
		done: "delaying node %d's messages",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error {
			return c.Delay(ctx, o.Node, o.Latency, o.Jitter)
		},
		flags: func(cmd *cobra.Command, o *FaultOptions) {
			cmd.Flags().DurationVar(&o.Latency, "latency", 0, "added latency per message")
			cmd.Flags().DurationVar(&o.Jitter, "jitter", 0, "random extra latency, up to this much")
		},
		check: func(cmd *cobra.Command, o *FaultOptions) error {
			if !cmd.Flags().Changed("latency") {
				return command.FlagErrorf("delay needs --latency (0 removes a delay)")
			}
			if o.Latency < 0 || o.Jitter < 0 || o.Latency > time.Minute {
				return command.FlagErrorf("--latency and --jitter must be between 0 and 1m")
			}
			return nil
		}}, runF)
}

// NewCmdDrop builds `gocli sandbox drop`.
func NewCmdDrop(f *command.Factory, runF func(context.Context, *FaultOptions) error) *cobra.Command {
	return NewCmdFault(f, faultCommand{op: "drop", use: "drop NODE --rate R",
		short: "Drop a share of the messages to and from a node",
		example: `  gocli sandbox drop 3 --rate 0.2
  gocli sandbox drop 3 --rate 0`,
		done: "dropping a share of node %d's messages",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error {
			return c.Drop(ctx, o.Node, o.Rate)
		},
		flags: func(cmd *cobra.Command, o *FaultOptions) {
			cmd.Flags().Float64Var(&o.Rate, "rate", 0, "fraction of messages to drop, 0 to 1")
		},
		check: func(cmd *cobra.Command, o *FaultOptions) error {
			if !cmd.Flags().Changed("rate") {
				return command.FlagErrorf("drop needs --rate (0 stops dropping)")
			}
			if o.Rate < 0 || o.Rate > 1 {
				return command.FlagErrorf("--rate %v: use a fraction between 0 and 1", o.Rate)
			}
			return nil
		}}, runF)
}

// NewCmdRemoveNode builds `gocli sandbox remove-node`.
func NewCmdRemoveNode(f *command.Factory, runF func(context.Context, *FaultOptions) error) *cobra.Command {
	return NewCmdFault(f, faultCommand{op: "remove-node", short: "Remove a node from the membership and stop it",
		example: "  gocli sandbox remove-node 4", done: "removed node %d",
		call: func(ctx context.Context, c *control.Client, o *FaultOptions) error { return c.RemoveNode(ctx, o.Node) }}, runF)
}

// PartitionOptions are the inputs of `gocli sandbox partition`.
type PartitionOptions struct {
	Target
	Groups [][]uint64
}

// NewCmdPartition builds `gocli sandbox partition`.
func NewCmdPartition(f *command.Factory, runF func(context.Context, *PartitionOptions) error) *cobra.Command {
	opts := &PartitionOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "partition GROUP GROUP...",
		Short: "Split the nodes into groups that cannot reach each other",
		Long: `Split the nodes into groups: each argument is a comma-separated group of node
IDs. Nodes in different groups cannot exchange messages; nodes not listed
reach everyone. heal removes the partition.`,
		Example: `  gocli sandbox partition 1,2 3
  gocli sandbox partition "1 2,3"`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			groups, err := sandbox.ParsePartition(args...)
			if err != nil {
				return command.FlagErrorf("%v", err)
			}
			opts.Groups = groups
			return runOr(cmd.Context(), opts, runF, runPartition)
		},
	}
	addNameFlag(cmd, &opts.Target)
	return cmd
}

func runPartition(ctx context.Context, opts *PartitionOptions) error {
	return opts.callControl(ctx, requestTimeout, func(ctx context.Context, c *control.Client) error {
		if err := c.Partition(ctx, opts.Groups); err != nil {
			return cliErr(fmt.Errorf("partition: %w", err), opts.Name)
		}
		return opts.Factory.Render(faultResult{OK: true, Message: "applied " + describeFaults(sandbox.FaultSpec{Partition: opts.Groups}, nil) + " (gocli sandbox heal removes it)"})
	})
}

// HealOptions are the inputs of `gocli sandbox heal`.
type HealOptions struct{ Target }

// NewCmdHeal builds `gocli sandbox heal`.
func NewCmdHeal(f *command.Factory, runF func(context.Context, *HealOptions) error) *cobra.Command {
	opts := &HealOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "heal",
		Short: "Remove every network fault (partitions, delays, drops)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runOr(cmd.Context(), opts, runF, runHeal)
		},
	}
	addNameFlag(cmd, &opts.Target)
	return cmd
}

func runHeal(ctx context.Context, opts *HealOptions) error {
	return opts.callControl(ctx, requestTimeout, func(ctx context.Context, c *control.Client) error {
		if err := c.Heal(ctx); err != nil {
			return cliErr(fmt.Errorf("heal: %w", err), opts.Name)
		}
		return opts.Factory.Render(faultResult{OK: true, Message: "healed every network fault"})
	})
}

// AddNodeOptions are the inputs of `gocli sandbox add-node`.
type AddNodeOptions struct{ Target }

// NewCmdAddNode builds `gocli sandbox add-node`.
func NewCmdAddNode(f *command.Factory, runF func(context.Context, *AddNodeOptions) error) *cobra.Command {
	opts := &AddNodeOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "add-node",
		Short: "Add a voting node to the cluster and start it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runOr(cmd.Context(), opts, runF, runAddNode)
		},
	}
	addNameFlag(cmd, &opts.Target)
	return cmd
}

// runAddNode waits longer than other requests: a new node must start and
// catch up before the control server answers.
func runAddNode(ctx context.Context, opts *AddNodeOptions) error {
	return opts.callControl(ctx, 40*time.Second, func(ctx context.Context, c *control.Client) error {
		n, err := c.AddNode(ctx)
		if err != nil {
			return cliErr(fmt.Errorf("add node: %w", err), opts.Name)
		}
		return opts.Factory.Render(addNodeResult(n))
	})
}

type addNodeResult sandbox.NodeSpec

func (r addNodeResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s added node %d: endpoint %s, peer %s\n", cs.SuccessIcon(), r.ID, r.ClientAddr, r.PeerAddr)
	return err
}

// LogsOptions are the inputs of `gocli sandbox logs`.
type LogsOptions struct {
	Target
	Node  uint64
	Lines int
}

// NewCmdLogs builds `gocli sandbox logs`.
func NewCmdLogs(f *command.Factory, runF func(context.Context, *LogsOptions) error) *cobra.Command {
	opts := &LogsOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:     "logs NODE",
		Short:   "Print the end of a node's log",
		Example: "  gocli sandbox logs 1 --lines 50",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := parseNode(args[0])
			if err != nil {
				return err
			}
			if opts.Lines < 0 {
				return command.FlagErrorf("--lines %d: must not be negative", opts.Lines)
			}
			opts.Node = id
			return runOr(cmd.Context(), opts, runF, runLogs)
		},
	}
	addNameFlag(cmd, &opts.Target)
	cmd.Flags().IntVarP(&opts.Lines, "lines", "n", 100, "how many lines (0: all)")
	return cmd
}

func runLogs(ctx context.Context, opts *LogsOptions) error {
	return opts.callControl(ctx, requestTimeout, func(ctx context.Context, c *control.Client) error {
		s, err := c.Logs(ctx, opts.Node, opts.Lines)
		if err != nil {
			return cliErr(fmt.Errorf("logs of node %d: %w", opts.Node, err), opts.Name)
		}
		if opts.Factory.JSONOutput() {
			return opts.Factory.Render(logsResult{Node: opts.Node, Log: s})
		}
		_, err = io.WriteString(opts.Factory.IO.Out, s)
		return err
	})
}

type logsResult struct {
	Node uint64 `json:"node"`
	Log  string `json:"log"`
}

func (r logsResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	_, err := io.WriteString(w, r.Log)
	return err
}
