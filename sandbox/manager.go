package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/adrg/xdg"
)

// Errors of cluster lookup, which callers map to exit codes.
var (
	// ErrUnknownCluster: no cluster of that name exists.
	ErrUnknownCluster = errors.New("no such sandbox cluster")
	// ErrRunning: the cluster is already running.
	ErrRunning = errors.New("sandbox cluster is already running")
	// ErrNotRunning: the cluster exists but no process runs it.
	ErrNotRunning = errors.New("sandbox cluster is not running")
)

// Files in a cluster folder.
const (
	lockFile    = "lock"
	pidFile     = "pid"
	controlFile = "control"
	// SocketName is the control API's unix socket in the cluster folder.
	SocketName = "control.sock"
	// OwnerLog receives the output of a detached cluster's process.
	OwnerLog = "sandbox.log"
)

// Manager finds, locks and removes clusters under Root, one folder per
// cluster name.
type Manager struct {
	Root string
}

// DefaultRoot is $XDG_STATE_HOME/gocli/sandbox.
func DefaultRoot() string { return filepath.Join(xdg.StateHome, "gocli", "sandbox") }

// NewManager returns a Manager over root (DefaultRoot when empty).
func NewManager(root string) *Manager {
	if root == "" {
		root = DefaultRoot()
	}
	return &Manager{Root: root}
}

var nameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// ValidateName checks a cluster name: lower-case letters, digits and
// dashes, as it names a folder.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("cluster name %q: use 1-40 lower-case letters, digits and dashes, starting and ending with a letter or digit", name)
	}
	return nil
}

// Dir is the folder of cluster name.
func (m *Manager) Dir(name string) string { return filepath.Join(m.Root, name) }

// Info describes a cluster on disk.
type Info struct {
	Name    string       `json:"name"`
	Dir     string       `json:"dir"`
	Running bool         `json:"running"`
	PID     int          `json:"pid,omitempty"`
	Spec    *ClusterSpec `json:"spec,omitempty"`
	// Control is the control API address: "unix:PATH" or "http://HOST:PORT".
	Control string `json:"control,omitempty"`
}

// Get describes cluster name; ErrUnknownCluster when it does not exist.
func (m *Manager) Get(name string) (Info, error) {
	if err := ValidateName(name); err != nil {
		return Info{}, err
	}
	dir := m.Dir(name)
	spec, err := readSpec(dir)
	if errors.Is(err, os.ErrNotExist) {
		return Info{}, fmt.Errorf("%w: %q (gocli sandbox list shows the clusters)", ErrUnknownCluster, name)
	}
	if err != nil {
		return Info{}, err
	}
	info := Info{Name: name, Dir: dir, Spec: spec, Running: locked(filepath.Join(dir, lockFile))}
	if info.Running {
		if b, err := os.ReadFile(filepath.Join(dir, pidFile)); err == nil {
			info.PID, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if b, err := os.ReadFile(filepath.Join(dir, controlFile)); err == nil {
			info.Control = strings.TrimSpace(string(b))
		}
	}
	return info, nil
}

// List describes every cluster, sorted by name.
func (m *Manager) List() ([]Info, error) {
	ents, err := os.ReadDir(m.Root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Info
	for _, e := range ents {
		if !e.IsDir() || ValidateName(e.Name()) != nil {
			continue
		}
		if info, err := m.Get(e.Name()); err == nil {
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Lock is held by the process that runs a cluster. The kernel releases
// it when that process dies, so a crashed cluster is never mistaken for
// a running one and its folder is recovered by the next Acquire.
type Lock struct {
	f   *os.File
	dir string
}

// Acquire creates the folder of cluster name if needed and takes its
// lock; ErrRunning when another process holds it. Leftovers of a crashed
// owner (pid, control socket) are removed.
func (m *Manager) Acquire(name string) (*Lock, error) {
	if err := ValidateName(name); err != nil {
		return nil, err
	}
	dir := m.Dir(name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create cluster folder: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			pid := ""
			if b, err := os.ReadFile(filepath.Join(dir, pidFile)); err == nil {
				pid = " (pid " + strings.TrimSpace(string(b)) + ")"
			}
			return nil, fmt.Errorf("%w: %q%s", ErrRunning, name, pid)
		}
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	for _, stale := range []string{pidFile, controlFile, SocketName} {
		_ = os.Remove(filepath.Join(dir, stale))
	}
	if err := os.WriteFile(filepath.Join(dir, pidFile), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		f.Close()
		return nil, err
	}
	return &Lock{f: f, dir: dir}, nil
}

// SetControl records the control API address for clients.
func (l *Lock) SetControl(addr string) error {
	return os.WriteFile(filepath.Join(l.dir, controlFile), []byte(addr+"\n"), 0o600)
}

// Release removes the run files and releases the lock.
func (l *Lock) Release() error {
	for _, f := range []string{pidFile, controlFile, SocketName} {
		_ = os.Remove(filepath.Join(l.dir, f))
	}
	return l.f.Close()
}

func locked(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return errors.Is(err, syscall.EWOULDBLOCK)
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false
}

// Purge deletes a stopped cluster's folder and data.
func (m *Manager) Purge(name string) error {
	info, err := m.Get(name)
	if err != nil {
		return err
	}
	if info.Running {
		return fmt.Errorf("purge %q: %w: stop it first with gocli sandbox down", name, ErrRunning)
	}
	for _, n := range info.Spec.Nodes {
		if !strings.HasPrefix(n.DataDir, info.Dir) {
			if err := os.RemoveAll(n.DataDir); err != nil {
				return err
			}
		}
	}
	return os.RemoveAll(info.Dir)
}
