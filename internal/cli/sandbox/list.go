package sandbox

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox/control"
)

// ListOptions are the inputs of `gocli sandbox list`.
type ListOptions struct {
	Target
}

// NewCmdList builds `gocli sandbox list`.
func NewCmdList(f *command.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List clusters and whether they run",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runOr(cmd.Context(), opts, runF, runList)
		},
	}
	return cmd
}

// ListEntry is one cluster in `list` output.
type ListEntry struct {
	Name      string   `json:"name"`
	Running   bool     `json:"running"`
	Nodes     int      `json:"nodes"`
	Processes bool     `json:"processes"`
	PID       int      `json:"pid,omitempty"`
	Endpoints []string `json:"endpoints"`
	Dir       string   `json:"dir"`
}

type listResult struct {
	Clusters []ListEntry `json:"clusters"`
}

func (r listResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	if len(r.Clusters) == 0 {
		_, err := fmt.Fprintln(w, "no clusters (start one with: gocli sandbox up)")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATE\tNODES\tFIRST ENDPOINT\tDIR")
	for _, c := range r.Clusters {
		state := cs.Gray("stopped")
		if c.Running {
			state = cs.Green("running")
		}
		ep := ""
		if len(c.Endpoints) > 0 {
			ep = c.Endpoints[0]
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", c.Name, state, c.Nodes, ep, c.Dir)
	}
	return tw.Flush()
}

func runList(_ context.Context, opts *ListOptions) error {
	m, err := opts.manager()
	if err != nil {
		return err
	}
	infos, err := m.List()
	if err != nil {
		return err
	}
	res := listResult{Clusters: []ListEntry{}}
	for _, i := range infos {
		res.Clusters = append(res.Clusters, ListEntry{Name: i.Name, Running: i.Running, Nodes: len(i.Spec.Nodes),
			Processes: i.Spec.Processes, PID: i.PID, Endpoints: i.Spec.Endpoints(), Dir: i.Dir})
	}
	return opts.Factory.Render(res)
}

func newControl(addr string) (*control.Client, error) { return control.NewClient(addr) }
