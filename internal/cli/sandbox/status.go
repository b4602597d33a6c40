package sandbox

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox"
)

// StatusOptions are the inputs of `gocli sandbox status`.
type StatusOptions struct {
	Target
	// Wide adds the replication detail columns (WAL, snapshot, match,
	// next, RSS and its anonymous part) to the table.
	Wide bool
}

// NewCmdStatus builds `gocli sandbox status`.
func NewCmdStatus(f *command.Factory, runF func(context.Context, *StatusOptions) error) *cobra.Command {
	opts := &StatusOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show each node's role, term, commit, applied index, lag and health",
		Example: `  gocli sandbox status
  gocli sandbox status --wide        # plus WAL size, snapshot index, match/next, RSS
  gocli sandbox status -o json | jq .leader`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runStatus(cmd.Context(), opts)
		},
	}
	addNameFlag(cmd, &opts.Target)
	cmd.Flags().BoolVarP(&opts.Wide, "wide", "w", false, "add WAL size, snapshot index, the leader's match/next and RSS columns")
	return cmd
}

type statusResult struct {
	sandbox.Status
	wide bool
}

func (r statusResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	mode := "in-process"
	if r.Processes {
		mode = "processes"
	}
	leader := "none"
	if r.Leader != 0 {
		leader = fmt.Sprint(r.Leader)
	}
	fmt.Fprintf(w, "cluster %s: leader %s, term %d (%s, %d nodes)\n", cs.Bold(r.Name), leader, r.Term, mode, len(r.Nodes))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := "ID\tROLE\tTERM\tCOMMIT\tAPPLIED\tLAG\tENDPOINT\tHEALTH"
	if r.wide {
		head += "\tWAL\tSNAPSHOT\tMATCH\tNEXT\tRSS\tANON"
	}
	fmt.Fprintln(tw, head)
	for _, n := range r.Nodes {
		health := n.Health
		switch n.Health {
		case "healthy":
			health = cs.Green(health)
		case "down", "unreachable":
			health = cs.Red(health)
		default:
			health = cs.Yellow(health)
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%d\t%d\t%s\t%s", n.ID, n.Role, n.Term, n.Commit, n.Applied, n.Lag, n.Endpoint, health)
		if r.wide {
			fmt.Fprintf(tw, "\t%s\t%d\t%s\t%s\t%s\t%s", formatBytes(n.WALSize), n.SnapshotIndex,
				orDash(n.Match, r.Leader != 0), orDash(n.Next, r.Leader != 0), formatBytes(n.RSS), formatBytes(n.AnonRSS))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r.wide && r.ProcessRSS > 0 {
		fmt.Fprintf(w, "process RSS: %s, %s anonymous (in-process: every node shares it)\n", formatBytes(r.ProcessRSS), formatBytes(r.ProcessAnonRSS))
	}
	if f := describeFaults(r.Faults, r.Paused); f != "" {
		fmt.Fprintf(w, "faults: %s\n", f)
	}
	return nil
}

func describeFaults(f sandbox.FaultSpec, paused []uint64) string {
	var parts []string
	if len(f.Partition) > 0 {
		var gs []string
		for _, g := range f.Partition {
			var ids []string
			for _, id := range g {
				ids = append(ids, fmt.Sprint(id))
			}
			gs = append(gs, strings.Join(ids, ","))
		}
		parts = append(parts, "partition "+strings.Join(gs, " | "))
	}
	for _, id := range sortedKeys(f.Delay) {
		d := f.Delay[id]
		parts = append(parts, fmt.Sprintf("delay %d %v±%v", id, d.Latency, d.Jitter))
	}
	for _, id := range sortedKeys(f.Drop) {
		parts = append(parts, fmt.Sprintf("drop %d %.0f%%", id, f.Drop[id]*100))
	}
	for _, id := range paused {
		parts = append(parts, fmt.Sprintf("paused %d", id))
	}
	return strings.Join(parts, "; ")
}

func sortedKeys[V any](m map[uint64]V) []uint64 {
	var ks []uint64
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

func runStatus(ctx context.Context, opts *StatusOptions) error {
	c, _, err := opts.control()
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	st, err := c.Status(ctx)
	if err != nil {
		return cliErr(fmt.Errorf("status of %q: %w", opts.Name, err), opts.Name)
	}
	return opts.Factory.Render(statusResult{Status: st, wide: opts.Wide})
}

// orDash prints v, or "-" when it is not known.
func orDash(v uint64, known bool) string {
	if !known {
		return "-"
	}
	return fmt.Sprint(v)
}

// formatBytes prints a byte count in binary units ("1.5 MiB"); 0 is "-",
// which status uses for "not known".
func formatBytes(b int64) string {
	if b <= 0 {
		return "-"
	}
	return humanize.IBytes(uint64(b))
}
