package consensus_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/gocli/gocli/consensus"
	"github.com/gocli/gocli/consensus/consensustest"
)

// recorder is a minimal TracerProvider that records span names and
// events, so the test needs no OpenTelemetry SDK.
type recorder struct {
	noop.TracerProvider
	mu    sync.Mutex
	spans []*recSpan
}

type recTracer struct {
	noop.Tracer
	r *recorder
}

type recSpan struct {
	noop.Span
	name   string
	mu     sync.Mutex
	events []string
	ended  bool
}

func (r *recorder) Tracer(string, ...trace.TracerOption) trace.Tracer { return recTracer{r: r} }

func (t recTracer) Start(ctx context.Context, name string, _ ...trace.SpanStartOption) (context.Context, trace.Span) {
	s := &recSpan{name: name}
	t.r.mu.Lock()
	t.r.spans = append(t.r.spans, s)
	t.r.mu.Unlock()
	return trace.ContextWithSpan(ctx, s), s
}

func (s *recSpan) AddEvent(name string, _ ...trace.EventOption) {
	s.mu.Lock()
	s.events = append(s.events, name)
	s.mu.Unlock()
}

func (s *recSpan) End(...trace.SpanEndOption) {
	s.mu.Lock()
	s.ended = true
	s.mu.Unlock()
}

func TestProposeSpans(t *testing.T) {
	rec := &recorder{}
	c := consensustest.NewCluster(t, 3, consensustest.Options{
		Configure: func(cfg *consensus.Config) { cfg.TracerProvider = rec },
	})
	ctx := ctxT(t, 30*time.Second)
	put(t, ctx, c, "k", "v")
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, s := range rec.spans {
		s.mu.Lock()
		ok := s.name == "consensus.propose" && s.ended && len(s.events) == 2 &&
			s.events[0] == "committed" && s.events[1] == "applied"
		s.mu.Unlock()
		if ok {
			return
		}
	}
	t.Fatalf("no complete consensus.propose span among %d spans", len(rec.spans))
}
