package etcdapi

import (
	"context"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"google.golang.org/grpc"

	"github.com/gocli/gocli/consensus/kv"
)

type watchStream struct {
	s      *Server
	stream grpc.BidiStreamingServer[pb.WatchRequest, pb.WatchResponse]
	ctx    context.Context

	sendMu sync.Mutex
	mu     sync.Mutex
	nextID int64
	subs   map[int64]*watchSub
	wg     sync.WaitGroup
}

type watchSub struct {
	cancel context.CancelFunc
	done   chan struct{}
}

// Watch implements etcdserverpb.WatchServer: one stream carries many
// watches, each forwarded by its own goroutine owned by the stream.
func (s *Server) Watch(stream grpc.BidiStreamingServer[pb.WatchRequest, pb.WatchResponse]) error {
	ctx, cancel := context.WithCancel(stream.Context())
	ws := &watchStream{s: s, stream: stream, ctx: ctx, subs: map[int64]*watchSub{}}
	defer func() {
		cancel()
		ws.wg.Wait()
	}()
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil // the client closed the stream or went away
		}
		switch r := req.RequestUnion.(type) {
		case *pb.WatchRequest_CreateRequest:
			if err := ws.create(r.CreateRequest); err != nil {
				return err
			}
		case *pb.WatchRequest_CancelRequest:
			if err := ws.cancel(r.CancelRequest.WatchId); err != nil {
				return err
			}
		case *pb.WatchRequest_ProgressRequest:
			if err := ws.send(&pb.WatchResponse{Header: s.header(0), WatchId: -1}); err != nil {
				return err
			}
		}
	}
}

func (ws *watchStream) send(r *pb.WatchResponse) error {
	ws.sendMu.Lock()
	defer ws.sendMu.Unlock()
	return ws.stream.Send(r)
}

func (ws *watchStream) create(c *pb.WatchCreateRequest) error {
	ws.mu.Lock()
	id := c.WatchId
	if id == 0 || ws.subs[id] != nil {
		for ws.subs[ws.nextID] != nil {
			ws.nextID++
		}
		id = ws.nextID
		ws.nextID++
	}
	ws.mu.Unlock()
	wctx, cancel := context.WithCancel(ws.ctx)
	ch, err := ws.s.kv.Watch(wctx, kv.WatchRequest{Key: c.Key, RangeEnd: c.RangeEnd, StartRevision: c.StartRevision, PrevKv: c.PrevKv})
	if err != nil {
		cancel()
		return ws.send(&pb.WatchResponse{Header: ws.s.header(0), WatchId: id, Created: true, Canceled: true, CancelReason: toGRPC(err).Error()})
	}
	created := ws.s.header(0)
	if err := ws.send(&pb.WatchResponse{Header: created, WatchId: id, Created: true}); err != nil {
		cancel()
		return err
	}
	sub := &watchSub{cancel: cancel, done: make(chan struct{})}
	ws.mu.Lock()
	ws.subs[id] = sub
	ws.mu.Unlock()
	var noPut, noDelete bool
	for _, f := range c.Filters {
		noPut = noPut || f == pb.WatchCreateRequest_NOPUT
		noDelete = noDelete || f == pb.WatchCreateRequest_NODELETE
	}
	ws.wg.Add(1)
	go func() {
		defer ws.wg.Done()
		defer close(sub.done)
		ws.forward(wctx, id, ch, created.Revision, c.ProgressNotify, noPut, noDelete)
	}()
	return nil
}

// forward copies one watch's responses to the stream until the watch
// ends or is cancelled.
func (ws *watchStream) forward(ctx context.Context, id int64, ch <-chan kv.WatchResponse, rev int64, progress, noPut, noDelete bool) {
	var tick <-chan time.Time
	if progress {
		t := time.NewTicker(ws.s.opts.ProgressInterval)
		defer t.Stop()
		tick = t.C
	}
	quiet := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			if quiet {
				if ws.send(&pb.WatchResponse{Header: ws.s.header(rev), WatchId: id}) != nil {
					return
				}
			}
			quiet = true
		case r, ok := <-ch:
			if !ok {
				return
			}
			if r.Header.Revision > rev {
				rev = r.Header.Revision
			}
			if r.Canceled {
				if ctx.Err() != nil {
					return
				}
				reason := ""
				if r.Err != nil {
					reason = toGRPC(r.Err).Error()
				}
				_ = ws.send(&pb.WatchResponse{Header: ws.s.header(rev), WatchId: id, Canceled: true, CompactRevision: r.CompactRevision, CancelReason: reason})
				return
			}
			var evs []*mvccpb.Event
			for _, e := range r.Events {
				if (e.Type == kv.EventPut && noPut) || (e.Type == kv.EventDelete && noDelete) {
					continue
				}
				ev := &mvccpb.Event{Kv: toKV(e.Kv), PrevKv: toKV(e.PrevKv)}
				if e.Type == kv.EventDelete {
					ev.Type = mvccpb.Event_DELETE
				}
				evs = append(evs, ev)
			}
			if len(evs) == 0 {
				continue
			}
			quiet = false
			if ws.send(&pb.WatchResponse{Header: ws.s.header(rev), WatchId: id, Events: evs}) != nil {
				return
			}
		}
	}
}

func (ws *watchStream) cancel(id int64) error {
	ws.mu.Lock()
	sub := ws.subs[id]
	delete(ws.subs, id)
	ws.mu.Unlock()
	if sub == nil {
		return nil
	}
	sub.cancel()
	<-sub.done
	return ws.send(&pb.WatchResponse{Header: ws.s.header(0), WatchId: id, Canceled: true})
}
