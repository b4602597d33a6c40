package sandbox

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/check"
)

// CheckOptions are the inputs of `gocli sandbox check`.
type CheckOptions struct {
	Factory   *command.Factory
	Duration  time.Duration
	Seed      uint64
	SeedSet   bool
	Nemesis   []string
	Nodes     int
	Tick      time.Duration
	Processes bool
	Clients   int
	Out       string
}

// NewCmdCheck builds `gocli sandbox check`.
func NewCmdCheck(f *command.Factory, runF func(context.Context, *CheckOptions) error) *cobra.Command {
	opts := &CheckOptions{Factory: f}
	var nemesis string
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Run a workload under faults and check the history is linearizable",
		Long: `Start a fresh temporary cluster, run clients doing gets, puts and
compare-and-swaps through the etcd API while a seeded nemesis injects faults,
record the history and check it for linearizability with porcupine.

Writes porcupine's HTML visualisation of the history (--out). Exits 1 on a
violation and prints the seed that replays the schedule.`,
		Example: `  gocli sandbox check
  gocli sandbox check --duration 60s --nemesis partition,kill --seed 7
  gocli sandbox check --processes --nemesis kill,pause -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ns, err := check.ParseNemeses(nemesis)
			if err != nil {
				return command.FlagErrorf("--nemesis: %v", err)
			}
			opts.Nemesis = ns
			if opts.Duration < time.Second || opts.Duration > 24*time.Hour {
				return command.FlagErrorf("--duration %v: use 1s to 24h", opts.Duration)
			}
			if opts.Nodes < 1 || opts.Nodes > 9 {
				return command.FlagErrorf("--nodes %d: use 1 to 9", opts.Nodes)
			}
			if opts.Tick < time.Millisecond {
				return command.FlagErrorf("--tick %v: must be at least 1ms", opts.Tick)
			}
			if opts.Clients < 1 || opts.Clients > 64 {
				return command.FlagErrorf("--clients %d: use 1 to 64", opts.Clients)
			}
			opts.SeedSet = cmd.Flags().Changed("seed")
			if !opts.SeedSet {
				opts.Seed = uint64(time.Now().UnixNano() % 1e6)
			}
			if opts.Out == "" {
				opts.Out = fmt.Sprintf("gocli-check-%d.html", opts.Seed)
			}
			return runOr(cmd.Context(), opts, runF, runCheck)
		},
	}
	fl := cmd.Flags()
	fl.DurationVar(&opts.Duration, "duration", 30*time.Second, "how long the workload runs")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed of the workload and fault schedule (default: random, printed)")
	fl.StringVar(&nemesis, "nemesis", "partition,kill,delay,drop", "faults to inject: "+strings.Join(check.AllNemeses, ",")+", all or none")
	fl.IntVar(&opts.Nodes, "nodes", 3, "cluster size")
	fl.DurationVar(&opts.Tick, "tick", 50*time.Millisecond, "raft tick of the cluster under test")
	fl.BoolVar(&opts.Processes, "processes", false, "one process per node (kills are SIGKILLs)")
	fl.IntVar(&opts.Clients, "clients", 4, "concurrent clients")
	fl.StringVar(&opts.Out, "out", "", "HTML visualisation path (default gocli-check-SEED.html)")
	return cmd
}

type checkResult struct {
	*check.Result
	Replay string `json:"replay"`
}

func (r checkResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	if r.Linearizable {
		fmt.Fprintf(w, "%s linearizable: %d operations (%d with unknown outcome) in %v, seed %d\n",
			cs.SuccessIcon(), r.Operations, r.Unknown, r.Duration.Round(time.Millisecond), r.Seed)
	} else {
		fmt.Fprintf(w, "%s NOT linearizable (%s): %d operations, seed %d\n", cs.FailureIcon(), r.Verdict, r.Operations, r.Seed)
	}
	if len(r.Faults) > 0 {
		fmt.Fprintf(w, "faults: %s\n", strings.Join(r.Faults, ", "))
	} else {
		fmt.Fprintln(w, "faults: none")
	}
	if r.Visualization != "" {
		fmt.Fprintf(w, "visualization: %s\n", r.Visualization)
	}
	if !r.Linearizable {
		fmt.Fprintf(w, "replay: %s\n", r.Replay)
	}
	return nil
}

func runCheck(ctx context.Context, opts *CheckOptions) error {
	dir, err := os.MkdirTemp("", "gocli-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	fmt.Fprintf(opts.Factory.IO.ErrOut, "checking a %d-node cluster for %v with faults %v (seed %d)\n", opts.Nodes, opts.Duration, opts.Nemesis, opts.Seed)
	c, err := sandbox.Start(ctx, sandbox.Options{Name: "check", Nodes: opts.Nodes, Tick: opts.Tick, Dir: dir,
		Processes: opts.Processes, Seed: opts.Seed})
	if err != nil {
		return cliErr(fmt.Errorf("start the cluster under test: %w", err), "check")
	}
	defer c.Close()
	res, err := check.Run(ctx, check.Options{Cluster: c, Duration: opts.Duration, Seed: opts.Seed, Nemeses: opts.Nemesis,
		Clients: opts.Clients, Visualization: opts.Out})
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &command.ExitError{Code: command.ExitProblems, Err: err}
	}
	replay := fmt.Sprintf("gocli sandbox check --seed %d --duration %v --nemesis %s --nodes %d --tick %v",
		opts.Seed, opts.Duration, nemesisArg(opts.Nemesis), opts.Nodes, opts.Tick)
	if opts.Processes {
		replay += " --processes"
	}
	if err := opts.Factory.Render(checkResult{Result: res, Replay: replay}); err != nil {
		return err
	}
	if !res.Linearizable {
		return command.SilentExit(command.ExitProblems)
	}
	return nil
}

func nemesisArg(ns []string) string {
	if len(ns) == 0 {
		return "none"
	}
	return strings.Join(ns, ",")
}
