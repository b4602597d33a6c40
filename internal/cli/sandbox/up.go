package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/control"
)

// DefaultPort is the first client port of a new cluster, etcd's, so
// etcdctl works without --endpoints. When it is taken and --port was not
// given, free ports are used instead.
const DefaultPort = 2379

// UpOptions are the inputs of `gocli sandbox up`.
type UpOptions struct {
	Target
	Nodes int
	// NodesSet records that --nodes was given (it must then match an
	// existing cluster's size).
	NodesSet  bool
	Tick      time.Duration
	DataDir   string
	Detach    bool
	Processes bool
	// Port is the first client port; PortSet records that the user chose it.
	Port    int
	PortSet bool
	// ControlAddr serves the control API on loopback TCP instead of the
	// unix socket.
	ControlAddr string
	Seed        uint64
	// Executable is the gocli binary a detached cluster runs in.
	Executable func() (string, error)
	// Ready, when set, is called once the cluster has a leader (tests).
	Ready func()
}

// NewCmdUp builds `gocli sandbox up`.
func NewCmdUp(f *command.Factory, runF func(context.Context, *UpOptions) error) *cobra.Command {
	opts := &UpOptions{Target: Target{Factory: f}, Executable: os.Executable}
	cmd := &cobra.Command{
		Use:   "up",
		Short: "Start a local cluster and print its endpoints",
		Long: `Start a named cluster of consensus nodes, each serving the etcd v3 API, and
print a table of nodes and endpoints and a ready-to-paste etcdctl line.

Runs in the foreground until Ctrl-C, which stops it cleanly; --detach returns
as soon as the cluster has a leader and leaves it running (stop it with
gocli sandbox down). Starting a cluster that exists but is stopped resumes it
with its data. Node i listens on --port+i-1 (gRPC), --port+100+i-1 (peers)
and --port+200+i-1 (HTTP gateway, /health, /metrics).`,
		Example: `  gocli sandbox up
  gocli sandbox up --detach --nodes 5 --name big
  gocli sandbox up --processes --tick 50ms
  etcdctl --endpoints=127.0.0.1:2379 put hello world`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts.PortSet = cmd.Flags().Changed("port")
			opts.NodesSet = cmd.Flags().Changed("nodes")
			if err := applyUpConfig(cmd, opts); err != nil {
				return err
			}
			if err := sandbox.ValidateName(opts.Name); err != nil {
				return command.FlagErrorf("--name: %v", err)
			}
			if opts.Nodes < 1 || opts.Nodes > 15 {
				return command.FlagErrorf("--nodes %d: a sandbox has 1 to 15 nodes", opts.Nodes)
			}
			if opts.Tick < time.Millisecond || opts.Tick > 10*time.Second {
				return command.FlagErrorf("--tick %v: use 1ms to 10s", opts.Tick)
			}
			if opts.Port < 0 || opts.Port+300 > 65535 {
				return command.FlagErrorf("--port %d: use 0 (free ports) or 1-65235", opts.Port)
			}
			return runOr(cmd.Context(), opts, runF, runUp)
		},
	}
	addNameFlag(cmd, &opts.Target)
	fl := cmd.Flags()
	fl.IntVar(&opts.Nodes, "nodes", 3, "number of nodes")
	fl.DurationVar(&opts.Tick, "tick", 100*time.Millisecond, "raft tick (elections after 10 ticks)")
	fl.StringVar(&opts.DataDir, "data-dir", "", "where node data lives (default: the cluster folder)")
	fl.BoolVarP(&opts.Detach, "detach", "d", false, "run in the background; return once a leader exists")
	fl.BoolVar(&opts.Processes, "processes", false, "run each node in its own process (kills are real SIGKILLs)")
	fl.IntVar(&opts.Port, "port", DefaultPort, "first client port (0: free ports)")
	fl.StringVar(&opts.ControlAddr, "control-addr", "", "serve the control API on this loopback address instead of a unix socket")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed for fault randomness (default: from the clock)")
	return cmd
}

// applyUpConfig takes defaults from gocli.yaml's sandbox section for the
// flags that were not given.
func applyUpConfig(cmd *cobra.Command, opts *UpOptions) error {
	sc := sandboxConfig(opts.Factory)
	fl := cmd.Flags()
	if !fl.Changed("name") && sc.Name != "" {
		opts.Name = sc.Name
	}
	if !fl.Changed("nodes") && sc.Nodes != 0 {
		opts.Nodes = sc.Nodes
	}
	if !fl.Changed("tick") {
		if d, err := sc.TickDuration(); err != nil {
			return command.InputErrorf("config: %v", err)
		} else if d != 0 {
			opts.Tick = d
		}
	}
	if !fl.Changed("port") && sc.Port != nil {
		opts.Port, opts.PortSet = *sc.Port, true
	}
	if !fl.Changed("processes") && sc.Processes {
		opts.Processes = true
	}
	return nil
}

type upResult struct {
	Name      string               `json:"name"`
	Dir       string               `json:"dir"`
	Control   string               `json:"control"`
	Leader    uint64               `json:"leader"`
	Processes bool                 `json:"processes"`
	Nodes     []sandbox.NodeStatus `json:"nodes"`
	Etcdctl   string               `json:"etcdctl"`
	Detached  bool                 `json:"detached"`
}

func etcdctlLine(nodes []sandbox.NodeStatus) string {
	var eps []string
	for _, n := range nodes {
		eps = append(eps, n.Endpoint)
	}
	return "etcdctl --endpoints=" + strings.Join(eps, ",") + " endpoint status -w table"
}

func (r upResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	mode := "in-process"
	if r.Processes {
		mode = "one process per node"
	}
	fmt.Fprintf(w, "%s cluster %s is up: %d nodes (%s), leader %d\n\n", cs.SuccessIcon(), cs.Bold(r.Name), len(r.Nodes), mode, r.Leader)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tENDPOINT (gRPC)\tHTTP\tPEER\tPID")
	for _, n := range r.Nodes {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\n", n.ID, n.Role, n.Endpoint, "http://"+n.HTTP, n.Peer, n.PID)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n  %s\n\ncontrol API: %s\n", r.Etcdctl, r.Control)
	if r.Detached {
		fmt.Fprintf(w, "stop it with: gocli sandbox down --name %s\n", r.Name)
	}
	return nil
}

func runUp(ctx context.Context, opts *UpOptions) error {
	m, err := opts.manager()
	if err != nil {
		return err
	}
	if info, err := m.Get(opts.Name); err == nil && info.Running {
		return cliErr(fmt.Errorf("%w: %q (pid %d)", sandbox.ErrRunning, opts.Name, info.PID), opts.Name)
	}
	if opts.Detach {
		return runDetached(ctx, opts, m)
	}
	return runForeground(ctx, opts, m)
}

func runForeground(ctx context.Context, opts *UpOptions, m *sandbox.Manager) (err error) {
	lock, err := m.Acquire(opts.Name)
	if err != nil {
		return cliErr(err, opts.Name)
	}
	dir := m.Dir(opts.Name)
	existed := true
	if _, err := m.Get(opts.Name); errors.Is(err, sandbox.ErrUnknownCluster) {
		existed = false
	}
	defer func() {
		lock.Release()
		if err != nil && !existed && os.Getenv(detachedEnv) == "" {
			// Nothing half-started: a cluster that never came up leaves no
			// folder. (Under --detach the parent removes it, once it has
			// read the error from the log inside.)
			_ = os.RemoveAll(dir)
		}
	}()
	if existed {
		info, _ := m.Get(opts.Name)
		if info.Spec != nil && len(info.Spec.Nodes) != opts.Nodes && opts.NodesSet {
			return &command.ExitError{Code: command.ExitUsage,
				Err:  fmt.Errorf("cluster %q already has %d nodes, not %d", opts.Name, len(info.Spec.Nodes), opts.Nodes),
				Hint: "use add-node/remove-node, or start afresh with: gocli sandbox down --purge --name " + opts.Name}
		}
	}
	port := opts.Port
	c, err := sandbox.Start(ctx, sandbox.Options{Name: opts.Name, Nodes: opts.Nodes, Tick: opts.Tick, Dir: dir,
		DataDir: opts.DataDir, Port: port, PortFallback: !opts.PortSet, Processes: opts.Processes, Seed: opts.Seed})
	if err != nil {
		return cliErr(fmt.Errorf("start cluster %q: %w", opts.Name, err), opts.Name)
	}
	defer func() {
		if cerr := c.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	if !existed && !opts.PortSet && c.Spec().BasePort == 0 {
		opts.Factory.Warnf("port %d is taken: the nodes use free ports instead", opts.Port)
	}
	ln, addr, err := control.Listen(dir, opts.ControlAddr)
	if err != nil {
		return cliErr(err, opts.Name)
	}
	shutdown := make(chan struct{})
	var once sync.Once
	srv := &http.Server{Handler: control.Handler(c, func() { once.Do(func() { close(shutdown) }) }),
		ReadHeaderTimeout: 5 * time.Second}
	srvDone := make(chan struct{})
	go func() {
		defer close(srvDone)
		_ = srv.Serve(ln)
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = srv.Shutdown(sctx)
		cancel()
		_ = srv.Close()
		<-srvDone
	}()
	if err := lock.SetControl(addr); err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	leader, err := c.WaitLeader(wctx)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return cliErr(fmt.Errorf("start cluster %q: %w", opts.Name, err), opts.Name)
	}
	st := c.Status(ctx)
	res := upResult{Name: opts.Name, Dir: dir, Control: addr, Leader: leader, Processes: opts.Processes, Nodes: st.Nodes, Etcdctl: etcdctlLine(st.Nodes)}
	if err := opts.Factory.Render(res); err != nil {
		return err
	}
	if os.Getenv(detachedEnv) == "" {
		fmt.Fprintf(opts.Factory.IO.ErrOut, "Press Ctrl-C to stop the cluster.\n")
	}
	if opts.Ready != nil {
		opts.Ready()
	}
	// This process hosts the nodes, or supervises them under --processes:
	// see sandbox.ReleaseStartupPages.
	defer sandbox.ReleaseStartupPages(10 * time.Second)()
	select {
	case <-ctx.Done():
	case <-shutdown:
	}
	fmt.Fprintf(opts.Factory.IO.ErrOut, "stopping cluster %s\n", opts.Name)
	return nil
}

// detachedEnv marks the background process of `up --detach`.
const detachedEnv = "GOCLI_SANDBOX_DETACHED"

// runDetached starts `gocli sandbox up` (foreground) in a new session with
// its output in the cluster folder, and waits until it reports a leader or
// exits.
func runDetached(ctx context.Context, opts *UpOptions, m *sandbox.Manager) error {
	exe, err := opts.Executable()
	if err != nil {
		return fmt.Errorf("find the gocli executable: %w", err)
	}
	args := []string{"sandbox", "up", "--name", opts.Name, "--tick", opts.Tick.String()}
	if opts.PortSet {
		args = append(args, "--port", strconv.Itoa(opts.Port))
	}
	if opts.DataDir != "" {
		abs, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return err
		}
		args = append(args, "--data-dir", abs)
	}
	if opts.NodesSet {
		args = append(args, "--nodes", strconv.Itoa(opts.Nodes))
	}
	if opts.Processes {
		args = append(args, "--processes")
	}
	if opts.ControlAddr != "" {
		args = append(args, "--control-addr", opts.ControlAddr)
	}
	if opts.Seed != 0 {
		args = append(args, "--seed", strconv.FormatUint(opts.Seed, 10))
	}
	dir := m.Dir(opts.Name)
	existed := true
	if _, err := m.Get(opts.Name); errors.Is(err, sandbox.ErrUnknownCluster) {
		existed = false
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	logPath := filepath.Join(dir, sandbox.OwnerLog)
	logF, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer logF.Close()
	cmd := exec.Command(exe, args...)
	cmd.Stdout, cmd.Stderr = logF, logF
	cmd.Env = append(os.Environ(), detachedEnv+"=1", "NO_COLOR=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start background cluster: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-exited:
			out, _ := os.ReadFile(logPath)
			msg := strings.TrimSpace(string(out))
			if !existed {
				_ = os.RemoveAll(dir)
			}
			code := command.ExitProblems
			if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == command.ExitUsage {
				code = command.ExitUsage
			}
			msg = strings.TrimPrefix(msg, "gocli: ")
			return &command.ExitError{Code: code, Err: fmt.Errorf("start cluster %q in the background: %s", opts.Name, msg)}
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return ctx.Err()
		case <-deadline.C:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return &command.ExitError{Code: command.ExitProblems, Err: fmt.Errorf("cluster %q had no leader after 60s (log: %s)", opts.Name, logPath)}
		case <-tick.C:
		}
		info, err := m.Get(opts.Name)
		if err != nil || !info.Running || info.Control == "" {
			continue
		}
		cc, err := control.NewClient(info.Control)
		if err != nil {
			continue
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		st, err := cc.Status(sctx)
		cancel()
		if err != nil || st.Leader == 0 {
			continue
		}
		// Let the child run on its own: it is in its own session.
		go func() { <-exited }()
		return opts.Factory.Render(upResult{Name: opts.Name, Dir: dir, Control: info.Control, Leader: st.Leader,
			Processes: st.Processes, Nodes: st.Nodes, Etcdctl: etcdctlLine(st.Nodes), Detached: true})
	}
}
