// Package sandbox implements `gocli sandbox`: run a local Raft cluster of
// gocli's consensus nodes, use it through the etcd v3 API, break it with
// faults, check it for linearizability and benchmark it.
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.uber.org/zap"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/config"
	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/control"
)

// NewCmdSandbox builds `gocli sandbox` and its subcommands.
func NewCmdSandbox(f *command.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sandbox <command>",
		Short: "Run, use, break, check and benchmark a local Raft cluster",
		Long: `Run a local cluster of gocli's consensus nodes. Every node serves the etcd v3
API, so etcdctl and clientv3 work against it; faults (kill, pause, partition,
delay, drop) break it on purpose; check verifies it stays linearizable; bench
measures it the way etcd's benchmark tool does.

Clusters are named (--name, default dev) and keep their state under
$XDG_STATE_HOME/gocli/sandbox/<name>/. See docs/sandbox.md.`,
		Example: `  gocli sandbox up --detach
  gocli sandbox put greeting hello
  gocli sandbox get greeting
  gocli sandbox partition 1 2,3
  gocli sandbox status
  gocli sandbox heal
  gocli sandbox down`,
	}
	cmd.AddCommand(
		NewCmdUp(f, nil),
		NewCmdStatus(f, nil),
		NewCmdDown(f, nil),
		NewCmdList(f, nil),
		NewCmdPut(f, nil),
		NewCmdGet(f, nil),
		NewCmdDel(f, nil),
		NewCmdWatch(f, nil),
		NewCmdTxn(f, nil),
		NewCmdLease(f),
	)
	for _, fc := range faultCommands {
		cmd.AddCommand(NewCmdFault(f, fc, nil))
	}
	cmd.AddCommand(NewCmdPartition(f, nil), NewCmdHeal(f, nil), NewCmdDelay(f, nil), NewCmdDrop(f, nil),
		NewCmdAddNode(f, nil), NewCmdRemoveNode(f, nil), NewCmdLogs(f, nil), newCmdNode())
	cmd.AddCommand(NewCmdCheck(f, nil), NewCmdBench(f, nil))
	return cmd
}

// Target names the cluster a command acts on.
type Target struct {
	Factory *command.Factory
	Name    string
	cmd     *cobra.Command
}

func addNameFlag(cmd *cobra.Command, t *Target) {
	cmd.Flags().StringVar(&t.Name, "name", "dev", "cluster name (default: sandbox.name in gocli.yaml, else dev)")
	t.cmd = cmd
}

// sandboxConfig returns the sandbox section of the configuration, or an
// empty one when there is none (tests build factories without config).
func sandboxConfig(f *command.Factory) config.Sandbox {
	if f == nil || f.Config == nil {
		return config.Sandbox{}
	}
	cfg, err := f.Config()
	if err != nil || cfg == nil {
		return config.Sandbox{}
	}
	return cfg.Sandbox
}

func (t *Target) manager() (*sandbox.Manager, error) {
	if t.cmd != nil && !t.cmd.Flags().Changed("name") {
		if n := sandboxConfig(t.Factory).Name; n != "" {
			t.Name = n
		}
	}
	if t.Factory.Sandbox == nil {
		return sandbox.NewManager(""), nil
	}
	return t.Factory.Sandbox()
}

// running returns the cluster's description, or an error if it does not
// exist or is not running.
func (t *Target) running() (sandbox.Info, error) {
	m, err := t.manager()
	if err != nil {
		return sandbox.Info{}, err
	}
	info, err := m.Get(t.Name)
	if err != nil {
		return info, cliErr(err, t.Name)
	}
	if !info.Running {
		return info, cliErr(fmt.Errorf("%w: %q", sandbox.ErrNotRunning, t.Name), t.Name)
	}
	return info, nil
}

func (t *Target) control() (*control.Client, sandbox.Info, error) {
	info, err := t.running()
	if err != nil {
		return nil, info, err
	}
	if info.Control == "" {
		return nil, info, cliErr(fmt.Errorf("%w: %q is starting or stopping", sandbox.ErrNotRunning, t.Name), t.Name)
	}
	c, err := control.NewClient(info.Control)
	return c, info, err
}

func (t *Target) client() (*clientv3.Client, error) {
	info, err := t.running()
	if err != nil {
		return nil, err
	}
	return newClient(info.Spec.Endpoints())
}

// call resolves the running cluster's etcd client and calls fn with it under
// the request deadline; the client is closed when fn returns. Data commands
// share it so each one only says what it asks etcd and how it renders.
func (t *Target) call(ctx context.Context, fn func(context.Context, *clientv3.Client) error) error {
	cli, err := t.client()
	if err != nil {
		return err
	}
	defer cli.Close()
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	return fn(ctx, cli)
}

// callControl resolves the running cluster's control client and calls fn
// with it under a deadline of d: the fault, status and membership commands
// differ only in what they ask and how long they may wait.
func (t *Target) callControl(ctx context.Context, d time.Duration, fn func(context.Context, *control.Client) error) error {
	c, _, err := t.control()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return fn(ctx, c)
}

// runOr runs a command's runF when a test gave one, else the real run: the
// seam every NewCmdXxx offers its tests.
func runOr[T any](ctx context.Context, opts *T, runF, run func(context.Context, *T) error) error {
	if runF != nil {
		return runF(ctx, opts)
	}
	return run(ctx, opts)
}

func newClient(endpoints []string) (*clientv3.Client, error) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: endpoints, DialTimeout: 5 * time.Second, Logger: zap.NewNop()})
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", strings.Join(endpoints, ","), err)
	}
	return cli, nil
}

// requestTimeout bounds one data command, like etcdctl's --command-timeout.
const requestTimeout = 10 * time.Second

// cliErr maps sandbox errors to exit codes: unknown names and bad input
// are usage errors (2); a cluster in the wrong state is a problem (1).
func cliErr(err error, name string) error {
	if err == nil {
		return nil
	}
	var ee *command.ExitError
	if errors.As(err, &ee) {
		return err
	}
	switch {
	case errors.Is(err, sandbox.ErrUnknownCluster):
		return &command.ExitError{Code: command.ExitUsage, Err: err, Hint: "start it with: gocli sandbox up --name " + name}
	case errors.Is(err, sandbox.ErrUnknownNode), errors.Is(err, control.ErrBadRequest), errors.Is(err, sandbox.ErrPortInUse):
		return &command.ExitError{Code: command.ExitUsage, Err: err}
	case errors.Is(err, sandbox.ErrNotRunning):
		return &command.ExitError{Code: command.ExitProblems, Err: err, Hint: "start it with: gocli sandbox up --name " + name}
	case errors.Is(err, sandbox.ErrRunning):
		return &command.ExitError{Code: command.ExitProblems, Err: err, Hint: "see it with: gocli sandbox status --name " + name}
	}
	return &command.ExitError{Code: command.ExitProblems, Err: err}
}

// parseNode reads a node argument: "2" or "node2".
func parseNode(s string) (uint64, error) {
	id, err := strconv.ParseUint(strings.TrimPrefix(s, "node"), 10, 64)
	if err != nil || id == 0 {
		return 0, command.FlagErrorf("node %q: give a node ID such as 2 (gocli sandbox status lists them)", s)
	}
	return id, nil
}

func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, requestTimeout)
}
