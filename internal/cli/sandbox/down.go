package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox"
)

// DownOptions are the inputs of `gocli sandbox down`.
type DownOptions struct {
	Target
	// Purge deletes the cluster's folder and data after stopping it.
	Purge bool
}

// NewCmdDown builds `gocli sandbox down`.
func NewCmdDown(f *command.Factory, runF func(context.Context, *DownOptions) error) *cobra.Command {
	opts := &DownOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "down",
		Short: "Stop a cluster (and with --purge delete its data)",
		Long: `Stop a running cluster, keeping its data for the next up. With --purge also
delete its folder and data; --purge works on a stopped cluster too.`,
		Example: `  gocli sandbox down
  gocli sandbox down --purge --name big`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runOr(cmd.Context(), opts, runF, runDown)
		},
	}
	addNameFlag(cmd, &opts.Target)
	cmd.Flags().BoolVar(&opts.Purge, "purge", false, "also delete the cluster's folder and data")
	return cmd
}

type downResult struct {
	Name    string `json:"name"`
	Stopped bool   `json:"stopped"`
	Purged  bool   `json:"purged"`
}

func (r downResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	switch {
	case r.Stopped && r.Purged:
		fmt.Fprintf(w, "%s stopped and deleted cluster %s\n", cs.SuccessIcon(), r.Name)
	case r.Purged:
		fmt.Fprintf(w, "%s deleted cluster %s\n", cs.SuccessIcon(), r.Name)
	default:
		fmt.Fprintf(w, "%s stopped cluster %s (its data stays; gocli sandbox up --name %s resumes it)\n", cs.SuccessIcon(), r.Name, r.Name)
	}
	return nil
}

func runDown(ctx context.Context, opts *DownOptions) error {
	m, err := opts.manager()
	if err != nil {
		return err
	}
	info, err := m.Get(opts.Name)
	if err != nil {
		return cliErr(err, opts.Name)
	}
	res := downResult{Name: opts.Name}
	if info.Running {
		if err := stopCluster(ctx, m, info); err != nil {
			return cliErr(err, opts.Name)
		}
		res.Stopped = true
	} else if !opts.Purge {
		return &command.ExitError{Code: command.ExitProblems, Err: fmt.Errorf("%w: %q", sandbox.ErrNotRunning, opts.Name),
			Hint: "delete it with: gocli sandbox down --purge --name " + opts.Name}
	}
	if opts.Purge {
		if err := m.Purge(opts.Name); err != nil {
			return cliErr(err, opts.Name)
		}
		res.Purged = true
	}
	return opts.Factory.Render(res)
}

// stopCluster asks the owner to shut down through the control API and
// waits for its lock to be released.
func stopCluster(ctx context.Context, m *sandbox.Manager, info sandbox.Info) error {
	if info.Control != "" {
		c, err := newControl(info.Control)
		if err != nil {
			return err
		}
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = c.Shutdown(sctx)
		cancel()
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("stop cluster %q: %w", info.Name, err)
		}
	}
	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		cur, err := m.Get(info.Name)
		if err != nil || !cur.Running {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("stop cluster %q: still running after 30s (pid %d)", info.Name, info.PID)
		case <-tick.C:
		}
	}
}
