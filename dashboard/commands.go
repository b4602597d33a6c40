package dashboard

import (
	"context"
	"errors"
	"fmt"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/gocli/gocli/sandbox"
)

// requestTimeout bounds one control API call made by a key or a refresh.
const requestTimeout = 10 * time.Second

// fetchStatus asks the cluster for its status.
func (m *Model) fetchStatus() tea.Cmd {
	c, ctx, now := m.client, m.ctx, m.now
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		st, err := c.Status(ctx)
		if err != nil {
			return StatusErrMsg{Err: err}
		}
		return StatusMsg{Status: st, At: now()}
	}
}

// subscribe opens the event stream. The stream lives until its cancel
// func is called (by the next subscribe or by Close) or the cluster
// closes it.
func (m *Model) subscribe() tea.Cmd {
	m.streamGen++
	c, parent, gen := m.client, m.ctx, m.streamGen
	return func() tea.Msg {
		ctx, cancel := context.WithCancel(parent)
		ch, err := c.Events(ctx)
		if err != nil {
			cancel()
			return SubscribeErrMsg{Err: err, gen: gen}
		}
		return SubscribedMsg{Events: ch, cancel: cancel, gen: gen}
	}
}

// waitForEvent reads one event from the stream. The model re-arms it on
// every EventMsg, so exactly one read is pending per stream.
func waitForEvent(ch <-chan sandbox.Event, gen int) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		if !ok {
			return StreamClosedMsg{gen: gen}
		}
		return EventMsg{Event: ev, gen: gen}
	}
}

// tick schedules the next refresh (or reconnect attempt) after d.
func tick(d time.Duration, gen int) tea.Cmd {
	return tea.Tick(d, func(time.Time) tea.Msg { return TickMsg{gen: gen} })
}

// runAction runs a fault or membership operation.
func (m *Model) runAction(what string, op func(ctx context.Context) error) tea.Cmd {
	ctx := m.ctx
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, requestTimeout)
		defer cancel()
		return ActionDoneMsg{What: what, Err: op(ctx)}
	}
}

// runBench runs the short benchmark against the nodes' endpoints.
func (m *Model) runBench(endpoints []string) tea.Cmd {
	ctx, bench := m.ctx, m.bench
	return func() tea.Msg {
		if bench == nil {
			return BenchDoneMsg{Err: errors.New("no benchmark available")}
		}
		ctx, cancel := context.WithTimeout(ctx, requestTimeout+BenchDuration)
		defer cancel()
		res, err := bench(ctx, endpoints)
		if err != nil {
			err = fmt.Errorf("bench: %w", err)
		}
		return BenchDoneMsg{Result: res, Err: err}
	}
}

// scrapeLatency reads the nodes' commit-latency histograms.
func (m *Model) scrapeLatency(addrs []string) tea.Cmd {
	ctx, scrape, now := m.ctx, m.scrape, m.now
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		h, err := scrape(ctx, addrs)
		return MetricsMsg{Sample: LatencySample{At: now(), Hist: h}, Err: err}
	}
}
