package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/spf13/cobra"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
)

// KV is a key-value pair in JSON output: keys and values as strings, not
// base64, since scripts read them.
type KV struct {
	Key            string `json:"key"`
	Value          string `json:"value,omitempty"`
	CreateRevision int64  `json:"create_revision"`
	ModRevision    int64  `json:"mod_revision"`
	Version        int64  `json:"version"`
	Lease          int64  `json:"lease,omitempty"`
}

func toKV(kv *mvccpb.KeyValue) *KV {
	if kv == nil {
		return nil
	}
	return &KV{Key: string(kv.Key), Value: string(kv.Value), CreateRevision: kv.CreateRevision,
		ModRevision: kv.ModRevision, Version: kv.Version, Lease: kv.Lease}
}

func toKVs(kvs []*mvccpb.KeyValue) []*KV {
	out := []*KV{}
	for _, kv := range kvs {
		out = append(out, toKV(kv))
	}
	return out
}

func parseLease(s string) (clientv3.LeaseID, error) {
	if s == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(s, 16, 64)
	if err != nil {
		return 0, command.FlagErrorf("lease %q: give the hexadecimal ID that lease grant printed", s)
	}
	return clientv3.LeaseID(id), nil
}

// leaseHex is how lease IDs are printed, and what parseLease reads back.
func leaseHex(id clientv3.LeaseID) string { return strconv.FormatInt(int64(id), 16) }

func dataErr(what string, err error, name string) error {
	return cliErr(fmt.Errorf("%s: %w", what, err), name)
}

// --- put ---------------------------------------------------------------

// PutOptions are the inputs of `gocli sandbox put`.
type PutOptions struct {
	Target
	Key, Value string
	Lease      string
	PrevKV     bool
}

// NewCmdPut builds `gocli sandbox put`.
func NewCmdPut(f *command.Factory, runF func(context.Context, *PutOptions) error) *cobra.Command {
	opts := &PutOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "put KEY VALUE",
		Short: "Write a key",
		Example: `  gocli sandbox put greeting hello
  gocli sandbox put session/42 alive --lease 694d8c2e1f4b9a05`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key, opts.Value = args[0], args[1]
			if _, err := parseLease(opts.Lease); err != nil {
				return err
			}
			return runOr(cmd.Context(), opts, runF, runPut)
		},
	}
	addNameFlag(cmd, &opts.Target)
	cmd.Flags().StringVar(&opts.Lease, "lease", "", "attach the key to a lease (hex ID)")
	cmd.Flags().BoolVar(&opts.PrevKV, "prev-kv", false, "print the previous value")
	return cmd
}

type putResult struct {
	Revision int64 `json:"revision"`
	PrevKV   *KV   `json:"prev_kv,omitempty"`
}

func (r putResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	fmt.Fprintln(w, "OK")
	if r.PrevKV != nil {
		fmt.Fprintf(w, "%s\n%s\n", r.PrevKV.Key, r.PrevKV.Value)
	}
	return nil
}

func runPut(ctx context.Context, opts *PutOptions) error {
	lease, _ := parseLease(opts.Lease)
	var ops []clientv3.OpOption
	if lease != 0 {
		ops = append(ops, clientv3.WithLease(lease))
	}
	if opts.PrevKV {
		ops = append(ops, clientv3.WithPrevKV())
	}
	return opts.call(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		resp, err := cli.Put(ctx, opts.Key, opts.Value, ops...)
		if err != nil {
			return dataErr("put "+opts.Key, err, opts.Name)
		}
		return opts.Factory.Render(putResult{Revision: resp.Header.Revision, PrevKV: toKV(resp.PrevKv)})
	})
}

// --- get ---------------------------------------------------------------

// GetOptions are the inputs of `gocli sandbox get`.
type GetOptions struct {
	Target
	Key         string
	Prefix      bool
	Limit       int64
	Rev         int64
	KeysOnly    bool
	Consistency string
}

// NewCmdGet builds `gocli sandbox get`.
func NewCmdGet(f *command.Factory, runF func(context.Context, *GetOptions) error) *cobra.Command {
	opts := &GetOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "get KEY",
		Short: "Read a key, or every key with a prefix",
		Example: `  gocli sandbox get greeting
  gocli sandbox get session/ --prefix -o json
  gocli sandbox get greeting --consistency s`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			if opts.Consistency != "l" && opts.Consistency != "s" {
				return command.FlagErrorf("--consistency %q: use l (linearizable) or s (serializable)", opts.Consistency)
			}
			return runOr(cmd.Context(), opts, runF, runGet)
		},
	}
	addNameFlag(cmd, &opts.Target)
	fl := cmd.Flags()
	fl.BoolVar(&opts.Prefix, "prefix", false, "read every key starting with KEY")
	fl.Int64Var(&opts.Limit, "limit", 0, "return at most this many keys")
	fl.Int64Var(&opts.Rev, "rev", 0, "read as of this revision")
	fl.BoolVar(&opts.KeysOnly, "keys-only", false, "print keys without values")
	fl.StringVar(&opts.Consistency, "consistency", "l", "l (linearizable) or s (serializable: local, maybe stale)")
	return cmd
}

type getResult struct {
	Revision int64 `json:"revision"`
	Count    int64 `json:"count"`
	More     bool  `json:"more,omitempty"`
	KVs      []*KV `json:"kvs"`
	keysOnly bool
}

func (r getResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	for _, kv := range r.KVs {
		fmt.Fprintln(w, kv.Key)
		if !r.keysOnly {
			fmt.Fprintln(w, kv.Value)
		}
	}
	return nil
}

func runGet(ctx context.Context, opts *GetOptions) error {
	var ops []clientv3.OpOption
	if opts.Prefix {
		ops = append(ops, clientv3.WithPrefix())
	}
	if opts.Limit > 0 {
		ops = append(ops, clientv3.WithLimit(opts.Limit))
	}
	if opts.Rev > 0 {
		ops = append(ops, clientv3.WithRev(opts.Rev))
	}
	if opts.KeysOnly {
		ops = append(ops, clientv3.WithKeysOnly())
	}
	if opts.Consistency == "s" {
		ops = append(ops, clientv3.WithSerializable())
	}
	return opts.call(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		resp, err := cli.Get(ctx, opts.Key, ops...)
		if err != nil {
			return dataErr("get "+opts.Key, err, opts.Name)
		}
		return opts.Factory.Render(getResult{Revision: resp.Header.Revision, Count: resp.Count, More: resp.More, KVs: toKVs(resp.Kvs), keysOnly: opts.KeysOnly})
	})
}

// --- del ---------------------------------------------------------------

// DelOptions are the inputs of `gocli sandbox del`.
type DelOptions struct {
	Target
	Key    string
	Prefix bool
}

// NewCmdDel builds `gocli sandbox del`.
func NewCmdDel(f *command.Factory, runF func(context.Context, *DelOptions) error) *cobra.Command {
	opts := &DelOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:     "del KEY",
		Aliases: []string{"delete"},
		Short:   "Delete a key, or every key with a prefix; prints how many",
		Example: `  gocli sandbox del greeting
  gocli sandbox del session/ --prefix`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			return runOr(cmd.Context(), opts, runF, runDel)
		},
	}
	addNameFlag(cmd, &opts.Target)
	cmd.Flags().BoolVar(&opts.Prefix, "prefix", false, "delete every key starting with KEY")
	return cmd
}

type delResult struct {
	Revision int64 `json:"revision"`
	Deleted  int64 `json:"deleted"`
}

func (r delResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	_, err := fmt.Fprintln(w, r.Deleted)
	return err
}

func runDel(ctx context.Context, opts *DelOptions) error {
	var ops []clientv3.OpOption
	if opts.Prefix {
		ops = append(ops, clientv3.WithPrefix())
	}
	return opts.call(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		resp, err := cli.Delete(ctx, opts.Key, ops...)
		if err != nil {
			return dataErr("del "+opts.Key, err, opts.Name)
		}
		return opts.Factory.Render(delResult{Revision: resp.Header.Revision, Deleted: resp.Deleted})
	})
}

// --- watch -------------------------------------------------------------

// WatchOptions are the inputs of `gocli sandbox watch`.
type WatchOptions struct {
	Target
	Key    string
	Prefix bool
	Rev    int64
	PrevKV bool
}

// NewCmdWatch builds `gocli sandbox watch`.
func NewCmdWatch(f *command.Factory, runF func(context.Context, *WatchOptions) error) *cobra.Command {
	opts := &WatchOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "watch KEY",
		Short: "Print changes to a key (or prefix) until Ctrl-C",
		Long: `Print each change as etcdctl does (PUT or DELETE, the key, the value), or with
-o json one JSON object per line.`,
		Example: `  gocli sandbox watch greeting
  gocli sandbox watch session/ --prefix -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Key = args[0]
			return runOr(cmd.Context(), opts, runF, runWatch)
		},
	}
	addNameFlag(cmd, &opts.Target)
	cmd.Flags().BoolVar(&opts.Prefix, "prefix", false, "watch every key starting with KEY")
	cmd.Flags().Int64Var(&opts.Rev, "rev", 0, "start from this revision (replaying history)")
	cmd.Flags().BoolVar(&opts.PrevKV, "prev-kv", false, "include the previous value")
	return cmd
}

// WatchEvent is one line of `watch -o json`.
type WatchEvent struct {
	Type     string `json:"type"`
	Revision int64  `json:"revision"`
	KV       *KV    `json:"kv"`
	PrevKV   *KV    `json:"prev_kv,omitempty"`
}

func runWatch(ctx context.Context, opts *WatchOptions) error {
	cli, err := opts.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	var ops []clientv3.OpOption
	if opts.Prefix {
		ops = append(ops, clientv3.WithPrefix())
	}
	if opts.Rev > 0 {
		ops = append(ops, clientv3.WithRev(opts.Rev))
	}
	if opts.PrevKV {
		ops = append(ops, clientv3.WithPrevKV())
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	out := opts.Factory.IO.Out
	enc := json.NewEncoder(out)
	for resp := range cli.Watch(wctx, opts.Key, ops...) {
		if err := resp.Err(); err != nil {
			return dataErr("watch "+opts.Key, err, opts.Name)
		}
		for _, e := range resp.Events {
			if opts.Factory.JSONOutput() {
				_ = enc.Encode(WatchEvent{Type: e.Type.String(), Revision: e.Kv.ModRevision, KV: toKV(e.Kv), PrevKV: toKV(e.PrevKv)})
				continue
			}
			fmt.Fprintln(out, e.Type.String())
			if e.PrevKv != nil {
				fmt.Fprintf(out, "%s\n%s\n", e.PrevKv.Key, e.PrevKv.Value)
			}
			fmt.Fprintf(out, "%s\n%s\n", e.Kv.Key, e.Kv.Value)
		}
	}
	if ctx.Err() != nil {
		return nil // Ctrl-C ends a watch normally
	}
	return cliErr(fmt.Errorf("watch %s: the stream ended", opts.Key), opts.Name)
}
