package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gocli/gocli/sandbox"
)

// Error kinds in error responses.
const (
	KindUnknownNode = "unknown_node"
	KindNodeState   = "node_state"
	KindBadRequest  = "bad_request"
	KindNoLeader    = "no_leader"
	KindInternal    = "internal"
)

// ErrorBody is the JSON body of an error response.
type ErrorBody struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// DelayRequest is the body of POST /v1/nodes/{id}/delay. Durations are Go
// duration strings ("50ms").
type DelayRequest struct {
	Latency string `json:"latency"`
	Jitter  string `json:"jitter,omitempty"`
}

// DropRequest is the body of POST /v1/nodes/{id}/drop.
type DropRequest struct {
	Rate float64 `json:"rate"`
}

// PartitionRequest is the body of POST /v1/partition.
type PartitionRequest struct {
	Groups [][]uint64 `json:"groups"`
}

// Handler returns the control API for c. shutdown is called (once, from
// the request's goroutine) by POST /v1/shutdown; the owner then stops the
// cluster.
func Handler(c *sandbox.Cluster, shutdown func()) http.Handler {
	mux := http.NewServeMux()
	h := &handler{c: c, shutdown: shutdown}
	mux.HandleFunc("GET /v1/status", h.status)
	mux.HandleFunc("GET /v1/events", h.events)
	mux.HandleFunc("POST /v1/nodes/{id}/{op}", h.nodeOp)
	mux.HandleFunc("GET /v1/nodes/{id}/logs", h.logs)
	mux.HandleFunc("POST /v1/nodes", h.addNode)
	mux.HandleFunc("DELETE /v1/nodes/{id}", h.removeNode)
	mux.HandleFunc("POST /v1/partition", h.partition)
	mux.HandleFunc("POST /v1/heal", func(w http.ResponseWriter, _ *http.Request) { reply(w, h.c.Heal(), nil) })
	mux.HandleFunc("POST /v1/shutdown", func(w http.ResponseWriter, _ *http.Request) {
		reply(w, nil, nil)
		if h.shutdown != nil {
			h.shutdown()
		}
	})
	return mux
}

type handler struct {
	c        *sandbox.Cluster
	shutdown func()
}

func reply(w http.ResponseWriter, err error, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err != nil {
		kind, code := KindInternal, http.StatusInternalServerError
		var bad *badRequest
		switch {
		case errors.As(err, &bad), errors.Is(err, sandbox.ErrInvalid):
			kind, code = KindBadRequest, http.StatusBadRequest
		case errors.Is(err, sandbox.ErrUnknownNode):
			kind, code = KindUnknownNode, http.StatusNotFound
		case errors.Is(err, sandbox.ErrNodeState):
			kind, code = KindNodeState, http.StatusConflict
		case errors.Is(err, sandbox.ErrNoLeader):
			kind, code = KindNoLeader, http.StatusServiceUnavailable
		}
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(ErrorBody{Error: err.Error(), Kind: kind})
		return
	}
	if v == nil {
		v = map[string]bool{"ok": true}
	}
	_ = json.NewEncoder(w).Encode(v)
}

type badRequest struct{ err error }

func (b *badRequest) Error() string { return b.err.Error() }

func badf(format string, args ...any) error { return &badRequest{fmt.Errorf(format, args...)} }

// asBad marks a fault parameter error as a bad request, keeping unknown
// nodes as they are.
func asBad(err error) error {
	if err == nil || errors.Is(err, sandbox.ErrUnknownNode) {
		return err
	}
	return &badRequest{err}
}

// Listen opens the control API listener: a TCP listener when tcpAddr is
// set, else the unix socket in the cluster folder dir. It returns the
// address clients dial ("unix:PATH" or "http://HOST:PORT").
func Listen(dir, tcpAddr string) (net.Listener, string, error) {
	if tcpAddr != "" {
		ln, err := net.Listen("tcp", tcpAddr)
		if err != nil {
			return nil, "", fmt.Errorf("control API: listen on %s: %w", tcpAddr, err)
		}
		return ln, "http://" + ln.Addr().String(), nil
	}
	path := filepath.Join(dir, sandbox.SocketName)
	if len(path) > 100 {
		// Unix socket paths are limited to about 104 bytes: fall back to loopback TCP.
		return Listen(dir, "127.0.0.1:0")
	}
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, "", fmt.Errorf("control API: listen on %s: %w", path, err)
	}
	return ln, "unix:" + path, nil
}

func nodeID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, badf("%q is not a node ID", r.PathValue("id"))
	}
	return id, nil
}

func decode(r *http.Request, v any) error {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(v); err != nil {
		return badf("decode request body: %v", err)
	}
	return nil
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	reply(w, nil, h.c.Status(r.Context()))
}

// events streams the cluster's events as server-sent events, each with
// the event type as its SSE event name and the sandbox.Event as JSON data,
// plus a comment line every 15s so proxies keep the stream open.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		reply(w, errors.New("streaming unsupported"), nil)
		return
	}
	ch, cancel := h.c.Events(256)
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": gocli sandbox events\n\n")
	fl.Flush()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		case ev, ok := <-ch:
			if !ok {
				return
			}
			b, _ := json.Marshal(ev)
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, b)
			fl.Flush()
		}
	}
}

func (h *handler) nodeOp(w http.ResponseWriter, r *http.Request) {
	id, err := nodeID(r)
	if err != nil {
		reply(w, err, nil)
		return
	}
	switch op := r.PathValue("op"); op {
	case "kill":
		reply(w, h.c.Kill(id), nil)
	case "restart":
		reply(w, h.c.Restart(id), nil)
	case "pause":
		reply(w, h.c.Pause(id), nil)
	case "resume":
		reply(w, h.c.Resume(id), nil)
	case "transfer-leader":
		ctx, cancel := context.WithTimeout(r.Context(), 15*time.Second)
		defer cancel()
		reply(w, h.c.TransferLeader(ctx, id), nil)
	case "delay":
		var req DelayRequest
		if err := decode(r, &req); err != nil {
			reply(w, err, nil)
			return
		}
		var d sandbox.Delay
		if d.Latency, err = time.ParseDuration(req.Latency); err != nil {
			reply(w, badf("latency %q: %v", req.Latency, err), nil)
			return
		}
		if req.Jitter != "" {
			if d.Jitter, err = time.ParseDuration(req.Jitter); err != nil {
				reply(w, badf("jitter %q: %v", req.Jitter, err), nil)
				return
			}
		}
		reply(w, asBad(h.c.Delay(id, d)), nil)
	case "drop":
		var req DropRequest
		if err := decode(r, &req); err != nil {
			reply(w, err, nil)
			return
		}
		reply(w, asBad(h.c.Drop(id, req.Rate)), nil)
	default:
		reply(w, badf("unknown node operation %q", op), nil)
	}
}

func (h *handler) logs(w http.ResponseWriter, r *http.Request) {
	id, err := nodeID(r)
	if err != nil {
		reply(w, err, nil)
		return
	}
	path, err := h.c.LogFile(id)
	if err != nil {
		reply(w, err, nil)
		return
	}
	lines := 100
	if s := r.URL.Query().Get("lines"); s != "" {
		if lines, err = strconv.Atoi(s); err != nil || lines < 0 {
			reply(w, badf("lines %q: not a count", s), nil)
			return
		}
	}
	tail, err := tailFile(path, lines)
	if err != nil {
		reply(w, err, nil)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, tail)
}

// tailFile returns the last n lines of path (all of them for n == 0).
func tailFile(path string, n int) (string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if n > 0 && len(lines) > n {
			lines = lines[1:]
		}
	}
	if len(lines) == 0 {
		return "", sc.Err()
	}
	return strings.Join(lines, "\n") + "\n", sc.Err()
}

// AddNodeRequest is the optional body of POST /v1/nodes.
type AddNodeRequest struct {
	// PeerAddr is the new node's peer address (host:port); empty picks one.
	PeerAddr string `json:"peer_addr,omitempty"`
}

func (h *handler) addNode(w http.ResponseWriter, r *http.Request) {
	var req AddNodeRequest
	if r.ContentLength != 0 {
		if err := decode(r, &req); err != nil {
			reply(w, err, nil)
			return
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	n, err := h.c.AddNodeAt(ctx, req.PeerAddr)
	reply(w, err, n)
}

func (h *handler) removeNode(w http.ResponseWriter, r *http.Request) {
	id, err := nodeID(r)
	if err != nil {
		reply(w, err, nil)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	reply(w, h.c.RemoveNode(ctx, id), nil)
}

func (h *handler) partition(w http.ResponseWriter, r *http.Request) {
	var req PartitionRequest
	if err := decode(r, &req); err != nil {
		reply(w, err, nil)
		return
	}
	if len(req.Groups) < 2 {
		reply(w, badf("a partition needs at least two groups"), nil)
		return
	}
	reply(w, h.c.Partition(req.Groups), nil)
}
