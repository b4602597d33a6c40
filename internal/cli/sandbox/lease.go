package sandbox

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
)

// LeaseOptions are the inputs of the `gocli sandbox lease` commands.
type LeaseOptions struct {
	Target
	// Op is grant, revoke, keep-alive, timetolive or list.
	Op   string
	TTL  int64
	ID   clientv3.LeaseID
	Once bool
	// Keys lists a lease's keys (timetolive).
	Keys bool
}

// NewCmdLease builds `gocli sandbox lease` with grant, revoke, keep-alive,
// timetolive and list.
func NewCmdLease(f *command.Factory) *cobra.Command {
	cmd := &cobra.Command{Use: "lease <command>", Short: "Grant, revoke, keep alive and inspect leases"}
	for _, op := range []string{"grant", "revoke", "keep-alive", "timetolive", "list"} {
		cmd.AddCommand(NewCmdLeaseOp(f, op, nil))
	}
	return cmd
}

// NewCmdLeaseOp builds one lease subcommand.
func NewCmdLeaseOp(f *command.Factory, op string, runF func(context.Context, *LeaseOptions) error) *cobra.Command {
	opts := &LeaseOptions{Target: Target{Factory: f}, Op: op}
	cmd := &cobra.Command{Args: cobra.ExactArgs(1)}
	switch op {
	case "grant":
		cmd.Use, cmd.Short = "grant TTL", "Grant a lease of TTL seconds and print its hex ID"
		cmd.Example = `  gocli sandbox lease grant 30`
	case "revoke":
		cmd.Use, cmd.Short = "revoke ID", "Revoke a lease, deleting its keys"
		cmd.Example = `  gocli sandbox lease revoke 694d8c2e1f4b9a05`
	case "keep-alive":
		cmd.Use, cmd.Short = "keep-alive ID", "Keep a lease alive until Ctrl-C (or once with --once)"
		cmd.Example = `  gocli sandbox lease keep-alive 694d8c2e1f4b9a05`
		cmd.Flags().BoolVar(&opts.Once, "once", false, "renew once and exit")
	case "timetolive":
		cmd.Use, cmd.Short = "timetolive ID", "Show a lease's granted and remaining TTL (and its keys with --keys)"
		cmd.Example = `  gocli sandbox lease timetolive 694d8c2e1f4b9a05 --keys`
		cmd.Flags().BoolVar(&opts.Keys, "keys", false, "also list the keys attached to the lease")
	case "list":
		cmd.Use, cmd.Short = "list", "List the leases that are alive"
		cmd.Example = `  gocli sandbox lease list`
		cmd.Args = cobra.NoArgs
	}
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if op == "list" {
			return runOr(cmd.Context(), opts, runF, runLease)
		}
		if op == "grant" {
			ttl, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || ttl <= 0 {
				return command.FlagErrorf("TTL %q: give a positive number of seconds", args[0])
			}
			opts.TTL = ttl
		} else {
			id, err := parseLease(args[0])
			if err != nil {
				return err
			}
			opts.ID = id
		}
		return runOr(cmd.Context(), opts, runF, runLease)
	}
	addNameFlag(cmd, &opts.Target)
	return cmd
}

type leaseResult struct {
	ID  string `json:"id"`
	TTL int64  `json:"ttl"`
	op  string
}

func (r leaseResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	var err error
	switch r.op {
	case "grant":
		_, err = fmt.Fprintf(w, "lease %s granted with TTL(%ds)\n", r.ID, r.TTL)
	case "revoke":
		_, err = fmt.Fprintf(w, "lease %s revoked\n", r.ID)
	default:
		_, err = fmt.Fprintf(w, "lease %s keepalived with TTL(%d)\n", r.ID, r.TTL)
	}
	return err
}

// leaseTTLResult is `lease timetolive`, in etcdctl's words.
type leaseTTLResult struct {
	ID         string   `json:"id"`
	GrantedTTL int64    `json:"granted_ttl"`
	TTL        int64    `json:"ttl"` // remaining seconds; -1: expired or never granted
	Keys       []string `json:"keys,omitempty"`
	withKeys   bool
}

func (r leaseTTLResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	if r.TTL == -1 {
		_, err := fmt.Fprintf(w, "lease %s already expired\n", r.ID)
		return err
	}
	line := fmt.Sprintf("lease %s granted with TTL(%ds), remaining(%ds)", r.ID, r.GrantedTTL, r.TTL)
	if r.withKeys {
		line += fmt.Sprintf(", attached keys(%v)", r.Keys)
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

// leaseListResult is `lease list`, in etcdctl's words.
type leaseListResult struct {
	Leases []string `json:"leases"`
}

func (r leaseListResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	if _, err := fmt.Fprintf(w, "found %d leases\n", len(r.Leases)); err != nil {
		return err
	}
	for _, id := range r.Leases {
		if _, err := fmt.Fprintln(w, id); err != nil {
			return err
		}
	}
	return nil
}

func runLease(ctx context.Context, opts *LeaseOptions) error {
	cli, err := opts.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	hex := leaseHex(opts.ID)
	switch opts.Op {
	case "grant":
		rctx, cancel := withTimeout(ctx)
		defer cancel()
		resp, err := cli.Grant(rctx, opts.TTL)
		if err != nil {
			return dataErr("lease grant", err, opts.Name)
		}
		return opts.Factory.Render(leaseResult{ID: leaseHex(resp.ID), TTL: resp.TTL, op: "grant"})
	case "revoke":
		rctx, cancel := withTimeout(ctx)
		defer cancel()
		if _, err := cli.Revoke(rctx, opts.ID); err != nil {
			return dataErr("lease revoke "+hex, err, opts.Name)
		}
		return opts.Factory.Render(leaseResult{ID: hex, op: "revoke"})
	case "timetolive":
		rctx, cancel := withTimeout(ctx)
		defer cancel()
		var lopts []clientv3.LeaseOption
		if opts.Keys {
			lopts = append(lopts, clientv3.WithAttachedKeys())
		}
		resp, err := cli.TimeToLive(rctx, opts.ID, lopts...)
		if err != nil {
			return dataErr("lease timetolive "+hex, err, opts.Name)
		}
		r := leaseTTLResult{ID: hex, GrantedTTL: resp.GrantedTTL, TTL: resp.TTL, withKeys: opts.Keys}
		for _, k := range resp.Keys {
			r.Keys = append(r.Keys, string(k))
		}
		return opts.Factory.Render(r)
	case "list":
		rctx, cancel := withTimeout(ctx)
		defer cancel()
		resp, err := cli.Leases(rctx)
		if err != nil {
			return dataErr("lease list", err, opts.Name)
		}
		r := leaseListResult{Leases: []string{}}
		for _, l := range resp.Leases {
			r.Leases = append(r.Leases, leaseHex(l.ID))
		}
		return opts.Factory.Render(r)
	}
	if opts.Once {
		rctx, cancel := withTimeout(ctx)
		defer cancel()
		resp, err := cli.KeepAliveOnce(rctx, opts.ID)
		if err != nil {
			return dataErr("lease keep-alive "+hex, err, opts.Name)
		}
		return opts.Factory.Render(leaseResult{ID: hex, TTL: resp.TTL, op: "keep-alive"})
	}
	ch, err := cli.KeepAlive(ctx, opts.ID)
	if err != nil {
		return dataErr("lease keep-alive "+hex, err, opts.Name)
	}
	for resp := range ch {
		if err := opts.Factory.Render(leaseResult{ID: hex, TTL: resp.TTL, op: "keep-alive"}); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return nil
	}
	return cliErr(fmt.Errorf("lease keep-alive %s: the lease expired or was revoked", hex), opts.Name)
}
