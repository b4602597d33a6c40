package sandbox

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox/bench"
)

// BenchOptions are the inputs of `gocli sandbox bench`.
type BenchOptions struct {
	Target
	bench.Options
}

// NewCmdBench builds `gocli sandbox bench`.
func NewCmdBench(f *command.Factory, runF func(context.Context, *BenchOptions) error) *cobra.Command {
	opts := &BenchOptions{Target: Target{Factory: f}}
	var endpoints string
	cmd := &cobra.Command{
		Use:   "bench put|range",
		Short: "Benchmark puts or ranges like etcd's benchmark tool",
		Long: `Issue --total puts or ranges from --clients concurrent clients sharing --conns
gRPC connections and report throughput and latency percentiles. It speaks the
etcd v3 API, so --endpoints can point at a real etcd for comparison; without
--endpoints it targets the sandbox cluster --name.

The connections are made before the clock starts, so latencies are the
server's, not the handshakes'; if no endpoint answers within 5s the run fails
with exit code 1.`,
		Example: `  gocli sandbox bench put --clients 64 --conns 8 --total 20000 --val-size 256
  gocli sandbox bench range --consistency s -o json
  gocli sandbox bench put --rate 200 --clients 8 --conns 2 --total 2000   # 50 KB/s of 256-byte values
  gocli sandbox bench put --endpoints 127.0.0.1:2379 --clients 1 --conns 1 --total 1000`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"put", "range"},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Op = args[0]
			if endpoints != "" {
				opts.Endpoints = strings.Split(endpoints, ",")
			} else {
				opts.Endpoints = []string{"from-cluster"}
			}
			if err := opts.Validate(); err != nil {
				return command.FlagErrorf("%v", err)
			}
			if endpoints == "" {
				opts.Endpoints = nil
			}
			return runOr(cmd.Context(), opts, runF, runBench)
		},
	}
	addNameFlag(cmd, &opts.Target)
	fl := cmd.Flags()
	fl.StringVar(&endpoints, "endpoints", "", "comma-separated gRPC endpoints (default: the sandbox cluster's)")
	fl.IntVar(&opts.Clients, "clients", 64, "concurrent clients")
	fl.IntVar(&opts.Conns, "conns", 8, "gRPC connections shared by the clients")
	fl.IntVar(&opts.Total, "total", 10000, "total requests")
	fl.IntVar(&opts.ValSize, "val-size", 256, "put value size in bytes")
	fl.IntVar(&opts.KeySize, "key-size", 8, "put key size in bytes")
	fl.IntVar(&opts.KeySpace, "key-space-size", 100000, "number of distinct keys puts write")
	fl.StringVar(&opts.Key, "key", "foo", "key that range reads")
	fl.IntVar(&opts.Rate, "rate", 0, "cap on requests per second across all clients (0: unlimited)")
	fl.DurationVar(&opts.Duration, "duration", 0, "stop issuing requests after this long even if --total is not reached (0: no limit)")
	fl.StringVar(&opts.Consistency, "consistency", "l", "range consistency: l (linearizable) or s (serializable)")
	return cmd
}

type benchResult struct{ *bench.Result }

func (r benchResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	what := r.Op
	if r.Op == "range" {
		what += " (consistency " + r.Consistency + ")"
	}
	fmt.Fprintf(w, "Summary: %s, %d clients on %d connections\n", what, r.Clients, r.Conns)
	fmt.Fprintf(w, "  Total:        %.4f secs\n", r.Duration.Seconds())
	fmt.Fprintf(w, "  Requests/sec: %.1f\n", r.Throughput)
	fmt.Fprintf(w, "  Errors:       %d\n", r.Errors)
	fmt.Fprintf(w, "Latency (ms): mean %.3f  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f\n",
		r.Latency.Mean, r.Latency.P50, r.Latency.P90, r.Latency.P99, r.Latency.Max)
	if r.FirstError != "" {
		fmt.Fprintf(w, "first error: %s\n", r.FirstError)
	}
	return nil
}

func runBench(ctx context.Context, opts *BenchOptions) error {
	if len(opts.Endpoints) == 0 {
		info, err := opts.running()
		if err != nil {
			return err
		}
		opts.Endpoints = info.Spec.Endpoints()
	}
	errOut := opts.Factory.IO.ErrOut
	o := opts.Options
	if opts.Factory.IO.IsStderrTTY() {
		o.Progress = func(done int) { fmt.Fprintf(errOut, "\r%d/%d requests", done, o.Total) }
	}
	res, err := bench.Run(ctx, o)
	if o.Progress != nil {
		fmt.Fprintln(errOut)
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &command.ExitError{Code: command.ExitProblems, Err: fmt.Errorf("bench %s: %w", opts.Op, err)}
	}
	return opts.Factory.Render(benchResult{res})
}
