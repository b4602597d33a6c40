package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gocli/gocli/sandbox"
)

// Client talks to a cluster's control API. The CLI and the dashboard use
// it; its errors wrap sandbox.ErrUnknownNode, sandbox.ErrNodeState and
// sandbox.ErrNoLeader as the server reports them.
type Client struct {
	base string
	http *http.Client
}

// ErrBadRequest wraps errors the server rejected as malformed. It is
// sandbox.ErrInvalid, so code that drives a sandbox.MembershipChanger sees
// the same error through the API as from the Cluster itself.
var ErrBadRequest = sandbox.ErrInvalid

// NewClient returns a client for addr: "unix:/path/to/control.sock" or
// "http://127.0.0.1:PORT".
func NewClient(addr string) (*Client, error) {
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}}
		return &Client{base: "http://sandbox", http: &http.Client{Transport: tr}}, nil
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("control address %q: want unix:PATH or http://HOST:PORT", addr)
	}
	return &Client{base: strings.TrimSuffix(addr, "/"), http: &http.Client{}}, nil
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("control API: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var eb ErrorBody
		b, _ := io.ReadAll(resp.Body)
		if json.Unmarshal(b, &eb) != nil || eb.Error == "" {
			return fmt.Errorf("control API: %s: %s", resp.Status, strings.TrimSpace(string(b)))
		}
		return remoteError(eb)
	}
	if out == nil {
		return nil
	}
	if s, ok := out.(*string); ok {
		b, err := io.ReadAll(resp.Body)
		*s = string(b)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// remoteErr keeps the server's message while matching the sentinel.
type remoteErr struct {
	msg  string
	kind error
}

func (e *remoteErr) Error() string { return e.msg }
func (e *remoteErr) Unwrap() error { return e.kind }

func remoteError(eb ErrorBody) error {
	var kind error
	switch eb.Kind {
	case KindUnknownNode:
		kind = sandbox.ErrUnknownNode
	case KindNodeState:
		kind = sandbox.ErrNodeState
	case KindNoLeader:
		kind = sandbox.ErrNoLeader
	case KindBadRequest:
		kind = ErrBadRequest
	}
	if kind == nil {
		return errors.New(eb.Error)
	}
	return &remoteErr{msg: eb.Error, kind: kind}
}

// Status returns the cluster's status.
func (c *Client) Status(ctx context.Context) (sandbox.Status, error) {
	var st sandbox.Status
	err := c.do(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, err
}

func nodePath(id uint64, op string) string {
	return "/v1/nodes/" + strconv.FormatUint(id, 10) + "/" + op
}

// Kill kills node id.
func (c *Client) Kill(ctx context.Context, id uint64) error {
	return c.do(ctx, http.MethodPost, nodePath(id, "kill"), nil, nil)
}

// Restart restarts node id.
func (c *Client) Restart(ctx context.Context, id uint64) error {
	return c.do(ctx, http.MethodPost, nodePath(id, "restart"), nil, nil)
}

// Pause freezes node id.
func (c *Client) Pause(ctx context.Context, id uint64) error {
	return c.do(ctx, http.MethodPost, nodePath(id, "pause"), nil, nil)
}

// Resume thaws node id.
func (c *Client) Resume(ctx context.Context, id uint64) error {
	return c.do(ctx, http.MethodPost, nodePath(id, "resume"), nil, nil)
}

// Delay delays node id's messages.
func (c *Client) Delay(ctx context.Context, id uint64, latency, jitter time.Duration) error {
	return c.do(ctx, http.MethodPost, nodePath(id, "delay"), DelayRequest{Latency: latency.String(), Jitter: jitter.String()}, nil)
}

// Drop drops a share of node id's messages.
func (c *Client) Drop(ctx context.Context, id uint64, rate float64) error {
	return c.do(ctx, http.MethodPost, nodePath(id, "drop"), DropRequest{Rate: rate}, nil)
}

// TransferLeader makes node id the leader.
func (c *Client) TransferLeader(ctx context.Context, id uint64) error {
	return c.do(ctx, http.MethodPost, nodePath(id, "transfer-leader"), nil, nil)
}

// Logs returns the last lines of node id's log (0: all).
func (c *Client) Logs(ctx context.Context, id uint64, lines int) (string, error) {
	var s string
	err := c.do(ctx, http.MethodGet, nodePath(id, "logs")+"?lines="+strconv.Itoa(lines), nil, &s)
	return s, err
}

// AddNode adds a node and returns its spec.
func (c *Client) AddNode(ctx context.Context) (sandbox.NodeSpec, error) {
	return c.AddNodeAt(ctx, "")
}

// AddNodeAt adds a node with the given peer address ("" picks one).
func (c *Client) AddNodeAt(ctx context.Context, peerAddr string) (sandbox.NodeSpec, error) {
	var n sandbox.NodeSpec
	var body any
	if peerAddr != "" {
		body = AddNodeRequest{PeerAddr: peerAddr}
	}
	err := c.do(ctx, http.MethodPost, "/v1/nodes", body, &n)
	return n, err
}

var _ sandbox.MembershipChanger = (*Client)(nil)

// RemoveNode removes node id from the cluster.
func (c *Client) RemoveNode(ctx context.Context, id uint64) error {
	return c.do(ctx, http.MethodDelete, "/v1/nodes/"+strconv.FormatUint(id, 10), nil, nil)
}

// Partition splits the cluster into groups.
func (c *Client) Partition(ctx context.Context, groups [][]uint64) error {
	return c.do(ctx, http.MethodPost, "/v1/partition", PartitionRequest{Groups: groups}, nil)
}

// Heal removes every network fault.
func (c *Client) Heal(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/heal", nil, nil)
}

// Shutdown asks the owner process to stop the cluster.
func (c *Client) Shutdown(ctx context.Context) error {
	return c.do(ctx, http.MethodPost, "/v1/shutdown", nil, nil)
}

// Events streams the cluster's events until ctx ends or the cluster
// stops; the channel is then closed. The stream is owned by a goroutine
// that exits with it.
func (c *Client) Events(ctx context.Context) (<-chan sandbox.Event, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/v1/events", nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("control API: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("control API: events: %s", resp.Status)
	}
	out := make(chan sandbox.Event, 64)
	go func() {
		defer close(out)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev sandbox.Event
			if json.Unmarshal([]byte(data), &ev) != nil {
				continue
			}
			select {
			case out <- ev:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}
