package sandbox

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
)

// TxnOptions are the inputs of `gocli sandbox txn`.
type TxnOptions struct {
	Target
	// Script is the transaction in etcdctl's txn syntax.
	Script string
}

// NewCmdTxn builds `gocli sandbox txn`.
func NewCmdTxn(f *command.Factory, runF func(context.Context, *TxnOptions) error) *cobra.Command {
	opts := &TxnOptions{Target: Target{Factory: f}}
	cmd := &cobra.Command{
		Use:   "txn",
		Short: "Run a transaction read from stdin (etcdctl txn syntax)",
		Long: `Read a transaction from stdin in etcdctl's syntax: compares, one per line; a
blank line; the operations to run when every compare holds; a blank line;
the operations to run otherwise.

Compares: value("k") = "v", version("k") > "0", create("k") = "0",
mod("k") < "42", lease("k") = "694d..." with =, !=, < or >.
Operations: put KEY VALUE, get KEY [--prefix], del KEY [--prefix]. Quote
arguments with spaces in double quotes.`,
		Example: `  printf 'value("stock") = "1"\n\nput stock 0\nput order/7 paid\n\nget stock\n' | gocli sandbox txn`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := io.ReadAll(f.IO.In)
			if err != nil {
				return fmt.Errorf("read stdin: %w", err)
			}
			opts.Script = string(b)
			if _, err := parseTxn(opts.Script); err != nil {
				return command.InputErrorf("txn: %v", err)
			}
			return runOr(cmd.Context(), opts, runF, runTxn)
		},
	}
	addNameFlag(cmd, &opts.Target)
	return cmd
}

type txnSpec struct {
	cmps             []clientv3.Cmp
	success, failure []clientv3.Op
}

var cmpRE = regexp.MustCompile(`^\s*(\w+)\("((?:[^"\\]|\\.)*)"\)\s*(=|==|!=|<|>)\s*(".*"|\S+)\s*$`)

// parseTxn parses etcdctl's txn syntax.
func parseTxn(s string) (*txnSpec, error) {
	sections := [][]string{{}}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			if len(sections) < 3 {
				sections = append(sections, []string{})
			}
			continue
		}
		sections[len(sections)-1] = append(sections[len(sections)-1], line)
	}
	t := &txnSpec{}
	for _, line := range sections[0] {
		c, err := parseCmp(line)
		if err != nil {
			return nil, err
		}
		t.cmps = append(t.cmps, c)
	}
	for i, dst := range []*[]clientv3.Op{&t.success, &t.failure} {
		if len(sections) <= i+1 {
			break
		}
		for _, line := range sections[i+1] {
			op, err := parseOp(line)
			if err != nil {
				return nil, err
			}
			*dst = append(*dst, op)
		}
	}
	if len(t.cmps) == 0 && len(t.success) == 0 && len(t.failure) == 0 {
		return nil, fmt.Errorf("empty transaction: give compares, a blank line, then operations")
	}
	return t, nil
}

func parseCmp(line string) (clientv3.Cmp, error) {
	m := cmpRE.FindStringSubmatch(line)
	if m == nil {
		return clientv3.Cmp{}, fmt.Errorf("compare %q: want target(\"key\") op \"value\", e.g. value(\"k\") = \"v\"", line)
	}
	key, err := strconv.Unquote(`"` + m[2] + `"`)
	if err != nil {
		return clientv3.Cmp{}, fmt.Errorf("compare %q: %v", line, err)
	}
	op := m[3]
	if op == "==" {
		op = "="
	}
	val := m[4]
	if strings.HasPrefix(val, `"`) {
		if val, err = strconv.Unquote(val); err != nil {
			return clientv3.Cmp{}, fmt.Errorf("compare %q: %v", line, err)
		}
	}
	num := func() (int64, error) {
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("compare %q: %q is not a number", line, val)
		}
		return n, nil
	}
	switch m[1] {
	case "value", "val", "v":
		return clientv3.Compare(clientv3.Value(key), op, val), nil
	case "version", "ver":
		n, err := num()
		return clientv3.Compare(clientv3.Version(key), op, n), err
	case "create", "c", "create_revision":
		n, err := num()
		return clientv3.Compare(clientv3.CreateRevision(key), op, n), err
	case "mod", "m", "mod_revision":
		n, err := num()
		return clientv3.Compare(clientv3.ModRevision(key), op, n), err
	case "lease":
		n, err := strconv.ParseInt(val, 16, 64)
		if err != nil {
			return clientv3.Cmp{}, fmt.Errorf("compare %q: %q is not a hex lease ID", line, val)
		}
		return clientv3.Compare(clientv3.LeaseValue(key), op, n), nil
	}
	return clientv3.Cmp{}, fmt.Errorf("compare %q: unknown target %q (use value, version, create, mod or lease)", line, m[1])
}

// splitArgs splits a line into words, honouring double quotes.
func splitArgs(line string) ([]string, error) {
	var out []string
	for line = strings.TrimSpace(line); line != ""; line = strings.TrimSpace(line) {
		if line[0] == '"' {
			end := 1
			for end < len(line) && (line[end] != '"' || line[end-1] == '\\') {
				end++
			}
			if end == len(line) {
				return nil, fmt.Errorf("unterminated quote in %q", line)
			}
			w, err := strconv.Unquote(line[:end+1])
			if err != nil {
				return nil, err
			}
			out = append(out, w)
			line = line[end+1:]
			continue
		}
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			i = len(line)
		}
		out = append(out, line[:i])
		line = line[i:]
	}
	return out, nil
}

func parseOp(line string) (clientv3.Op, error) {
	args, err := splitArgs(line)
	if err != nil {
		return clientv3.Op{}, fmt.Errorf("operation %q: %v", line, err)
	}
	var flags []string
	var pos []string
	for _, a := range args {
		if strings.HasPrefix(a, "--") {
			flags = append(flags, a)
		} else {
			pos = append(pos, a)
		}
	}
	var opts []clientv3.OpOption
	for _, f := range flags {
		if f != "--prefix" {
			return clientv3.Op{}, fmt.Errorf("operation %q: unknown flag %s (only --prefix)", line, f)
		}
		opts = append(opts, clientv3.WithPrefix())
	}
	if len(pos) == 0 {
		return clientv3.Op{}, fmt.Errorf("empty operation")
	}
	switch pos[0] {
	case "put":
		if len(pos) != 3 || len(flags) > 0 {
			return clientv3.Op{}, fmt.Errorf("operation %q: want put KEY VALUE", line)
		}
		return clientv3.OpPut(pos[1], pos[2]), nil
	case "get":
		if len(pos) != 2 {
			return clientv3.Op{}, fmt.Errorf("operation %q: want get KEY [--prefix]", line)
		}
		return clientv3.OpGet(pos[1], opts...), nil
	case "del", "delete":
		if len(pos) != 2 {
			return clientv3.Op{}, fmt.Errorf("operation %q: want del KEY [--prefix]", line)
		}
		return clientv3.OpDelete(pos[1], opts...), nil
	}
	return clientv3.Op{}, fmt.Errorf("operation %q: unknown operation %q (use put, get or del)", line, pos[0])
}

// TxnOpResult is one operation's outcome in `txn -o json`.
type TxnOpResult struct {
	Op      string `json:"op"`
	KVs     []*KV  `json:"kvs,omitempty"`
	Deleted int64  `json:"deleted,omitempty"`
}

type txnResult struct {
	Succeeded bool          `json:"succeeded"`
	Revision  int64         `json:"revision"`
	Results   []TxnOpResult `json:"results"`
}

func (r txnResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	if r.Succeeded {
		fmt.Fprintln(w, "SUCCESS")
	} else {
		fmt.Fprintln(w, "FAILURE")
	}
	for _, res := range r.Results {
		fmt.Fprintln(w)
		switch res.Op {
		case "put":
			fmt.Fprintln(w, "OK")
		case "del":
			fmt.Fprintln(w, res.Deleted)
		default:
			for _, kv := range res.KVs {
				fmt.Fprintf(w, "%s\n%s\n", kv.Key, kv.Value)
			}
		}
	}
	return nil
}

func runTxn(ctx context.Context, opts *TxnOptions) error {
	t, err := parseTxn(opts.Script)
	if err != nil {
		return command.InputErrorf("txn: %v", err)
	}
	return opts.call(ctx, func(ctx context.Context, cli *clientv3.Client) error {
		resp, err := cli.Txn(ctx).If(t.cmps...).Then(t.success...).Else(t.failure...).Commit()
		if err != nil {
			return dataErr("txn", err, opts.Name)
		}
		res := txnResult{Succeeded: resp.Succeeded, Revision: resp.Header.Revision, Results: []TxnOpResult{}}
		for _, r := range resp.Responses {
			switch {
			case r.GetResponsePut() != nil:
				res.Results = append(res.Results, TxnOpResult{Op: "put"})
			case r.GetResponseDeleteRange() != nil:
				res.Results = append(res.Results, TxnOpResult{Op: "del", Deleted: r.GetResponseDeleteRange().Deleted})
			case r.GetResponseRange() != nil:
				res.Results = append(res.Results, TxnOpResult{Op: "get", KVs: toKVs(r.GetResponseRange().Kvs)})
			}
		}
		return opts.Factory.Render(res)
	})
}
