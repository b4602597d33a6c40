package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/gocli/gocli/consensus"
)

// childSpec is what a node child process reads from its spec file.
type childSpec struct {
	Node       NodeSpec         `json:"node"`
	Peers      []consensus.Peer `json:"peers"`
	Tick       time.Duration    `json:"tick"`
	ClusterID  uint64           `json:"cluster_id"`
	Seed       uint64           `json:"seed"`
	ClusterDir string           `json:"cluster_dir"`
	ParentPID  int              `json:"parent_pid"`
	Faults     FaultSpec        `json:"faults"`
}

// exitPortInUse is the child's exit code when a port is taken, so the
// parent can retry or report it as such.
const exitPortInUse = 3

// procMember runs a node in a child process and drives it through the
// agent endpoints on the node's HTTP port.
type procMember struct {
	c    *Cluster
	spec NodeSpec
	p    atomic.Pointer[proc] // nil while down
}

// proc is one run of a child process; done closes when it exits.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{}

	watch    sync.Once                  // starts watchLeader
	observed atomic.Pointer[leaderTerm] // its last answer; nil when none or failed
}

var agentClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}

func (m *procMember) start(peers []consensus.Peer) error {
	cs := childSpec{Node: m.spec, Peers: peers, Tick: m.c.spec.Tick, ClusterID: m.c.spec.ClusterID,
		Seed: m.c.spec.Seed + m.spec.ID, ClusterDir: m.c.dir, ParentPID: os.Getpid(), Faults: m.c.effectiveFaults()}
	path := filepath.Join(filepath.Dir(m.spec.LogFile), "node.json")
	if err := writeJSON(path, cs); err != nil {
		return err
	}
	var cmd *exec.Cmd
	if m.c.opts.NodeCommand != nil {
		cmd = m.c.opts.NodeCommand(path)
	} else {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("find the gocli executable: %w", err)
		}
		cmd = exec.Command(exe, "sandbox", "node", "--spec", path)
	}
	logF, err := os.OpenFile(m.spec.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logF.Close()
	cmd.Stdout, cmd.Stderr = logF, logF
	if cmd.Env == nil {
		cmd.Env = childEnv(len(peers))
	}
	// Its own process group: Ctrl-C on the terminal reaches the parent,
	// which stops the children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start node %d process: %w", m.spec.ID, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	m.p.Store(&proc{cmd: cmd, done: done})
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		_, _, err := m.leaderTerm(ctx)
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-done:
			m.p.Store(nil)
			if cmd.ProcessState != nil && cmd.ProcessState.ExitCode() == exitPortInUse {
				return fmt.Errorf("node %d: %w: %s", m.spec.ID, ErrPortInUse, lastLine(m.spec.LogFile))
			}
			return fmt.Errorf("node %d process exited: %s", m.spec.ID, lastLine(m.spec.LogFile))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = m.kill()
			return fmt.Errorf("node %d process did not come up within 15s (see %s)", m.spec.ID, m.spec.LogFile)
		}
	}
}

func lastLine(path string) string {
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

func (m *procMember) kill() error {
	p := m.p.Swap(nil)
	if p == nil {
		return nil
	}
	_ = p.cmd.Process.Kill()
	<-p.done
	return nil
}

func (m *procMember) stop() error {
	p := m.p.Swap(nil)
	if p == nil {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // a paused child must run to exit
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	return nil
}

func (m *procMember) alive() bool { return m.p.Load() != nil }

func (m *procMember) setPaused(paused bool) error {
	p := m.p.Load()
	if p == nil {
		return nil
	}
	if paused {
		return p.cmd.Process.Signal(syscall.SIGSTOP)
	}
	return p.cmd.Process.Signal(syscall.SIGCONT)
}

func (m *procMember) pid() int {
	if p := m.p.Load(); p != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

func (m *procMember) exited() <-chan struct{} {
	if p := m.p.Load(); p != nil {
		return p.done
	}
	return nil
}

// agentError is an error reported by a child; Retryable marks leadership
// and timing errors that retryOnLeader should retry.
type agentError struct {
	Message   string `json:"error"`
	Retryable bool   `json:"retryable"`
}

func (e *agentError) Error() string { return e.Message }

func isRetryable(err error) bool {
	var ae *agentError
	return errors.As(err, &ae) && ae.Retryable
}

func (m *procMember) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, m.spec.HTTPURL()+path, body)
	if err != nil {
		return err
	}
	resp, err := agentClient.Do(req)
	if err != nil {
		return &agentError{Message: fmt.Sprintf("node %d: %v", m.spec.ID, err), Retryable: true}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var ae agentError
		if json.NewDecoder(resp.Body).Decode(&ae) != nil || ae.Message == "" {
			ae.Message = resp.Status
		}
		return &ae
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (m *procMember) setFaults(f FaultSpec) error {
	if !m.alive() {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return m.call(ctx, http.MethodPut, "/sandbox/v1/faults", f, nil)
}

func (m *procMember) status(ctx context.Context) (consensus.Status, error) {
	var st consensus.Status
	err := m.call(ctx, http.MethodGet, "/sandbox/v1/status", nil, &st)
	return st, err
}

type leaderTerm struct {
	Leader uint64 `json:"leader"`
	Term   uint64 `json:"term"`
}

func (m *procMember) leaderTerm(ctx context.Context) (uint64, uint64, error) {
	var lt leaderTerm
	err := m.call(ctx, http.MethodGet, "/sandbox/v1/leader", nil, &lt)
	return lt.Leader, lt.Term, err
}

// leaderWait is how long one of watchLeader's requests waits for a change.
const leaderWait = 10 * time.Second

func (m *procMember) observedLeaderTerm() (uint64, uint64, bool) {
	p := m.p.Load()
	if p == nil {
		return 0, 0, false
	}
	p.watch.Do(func() { go m.watchLeader(p) })
	lt := p.observed.Load()
	if lt == nil {
		return 0, 0, false
	}
	return lt.Leader, lt.Term, true
}

// watchLeader keeps p.observed current with long polls of the child
// (waitLeaderChange) until the process exits. A failed request (a child
// stopped with SIGSTOP, or gone) clears it, so that the event poller does
// not count a node it cannot hear from.
func (m *procMember) watchLeader(p *proc) {
	for {
		select {
		case <-p.done:
			return
		default:
		}
		path := "/sandbox/v1/leader" // nothing known: answer at once
		if known := p.observed.Load(); known != nil {
			path = fmt.Sprintf("%s?leader=%d&term=%d&wait=%s", path, known.Leader, known.Term, leaderWait)
		}
		ctx, cancel := context.WithTimeout(context.Background(), leaderWait+2*time.Second)
		var lt leaderTerm
		err := m.call(ctx, http.MethodGet, path, nil, &lt)
		cancel()
		if err != nil {
			p.observed.Store(nil)
			select {
			case <-p.done:
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		p.observed.Store(&lt)
	}
}

type memberReq struct {
	ID   uint64 `json:"id"`
	Addr string `json:"addr,omitempty"`
}

func (m *procMember) addMember(ctx context.Context, id uint64, addr string) error {
	return m.call(ctx, http.MethodPost, "/sandbox/v1/members/add", memberReq{ID: id, Addr: addr}, nil)
}

func (m *procMember) removeMember(ctx context.Context, id uint64) error {
	return m.call(ctx, http.MethodPost, "/sandbox/v1/members/remove", memberReq{ID: id}, nil)
}

func (m *procMember) transferLeader(ctx context.Context, to uint64) error {
	return m.call(ctx, http.MethodPost, "/sandbox/v1/transfer", memberReq{ID: to}, nil)
}
