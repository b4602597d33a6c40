package dashboard

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/bench"
)

// Defaults of the model's options.
const (
	// DefaultRefresh is the slow status refresh; events trigger the fast
	// path.
	DefaultRefresh = 2 * time.Second
	// maxLog bounds the event log, so a long session keeps a fixed memory
	// and render cost.
	maxLog = 500
	// maxTimeline bounds the leader-change timeline.
	maxTimeline = 64
	// maxSamples bounds each sparkline series (at the default refresh,
	// eight minutes).
	maxSamples = 240
	// DefaultBackoff is the first reconnect delay; it doubles per failed
	// attempt up to maxBackoff.
	DefaultBackoff = 500 * time.Millisecond
	maxBackoff     = 10 * time.Second
	// DelayLatency and DelayJitter are what the d key adds to a node.
	DelayLatency = 100 * time.Millisecond
	DelayJitter  = 20 * time.Millisecond
)

type screen int

const (
	screenMain screen = iota
	screenDetail
	screenHelp
)

type pane int

const (
	paneNodes pane = iota
	paneTimeline
	paneEvents
	numPanes
)

func (p pane) String() string {
	return [...]string{"nodes", "leaders", "events"}[p]
}

// connState is the state of the link to the cluster.
type connState int

const (
	connConnecting connState = iota
	connConnected
	connDisconnected
)

// sortKey orders the nodes table.
type sortKey int

const (
	sortID sortKey = iota
	sortRole
	sortLag
	sortHealth
	numSortKeys
)

func (s sortKey) String() string {
	return [...]string{"id", "role", "lag", "health"}[s]
}

// logEntry is one line of the event log.
type logEntry struct {
	At   time.Time
	Text string
	// Kind is the event type, or "local" for what the dashboard itself did
	// and saw (actions, connection changes).
	Kind string
	Err  bool
}

// leaderChange is one entry of the leader timeline: a new leader, or an
// election (Leader 0) that has not produced one yet.
type leaderChange struct {
	At     time.Time
	Leader uint64
	Term   uint64
}

// confirmation is a pending destructive action.
type confirmation struct {
	Prompt string
	Cmd    tea.Cmd
}

// BenchFunc runs a short write benchmark against endpoints.
type BenchFunc func(ctx context.Context, endpoints []string) (*bench.Result, error)

// ScrapeFunc reads the cumulative commit-latency histogram of the nodes
// whose HTTP addresses are given (summed over nodes).
type ScrapeFunc func(ctx context.Context, httpAddrs []string) (Histogram, error)

// Option configures a Model.
type Option func(*Model)

// WithClock sets the clock the model stamps samples and local log lines
// with (tests pin it).
func WithClock(now func() time.Time) Option { return func(m *Model) { m.now = now } }

// WithLocation sets the time zone of displayed times (default local).
func WithLocation(loc *time.Location) Option { return func(m *Model) { m.loc = loc } }

// WithNoColor renders without colour or other ANSI styling; markers in
// the text (leader star, selection arrow) still show what colour would.
func WithNoColor(v bool) Option { return func(m *Model) { m.noColor = v } }

// WithRefresh sets the slow status refresh period.
func WithRefresh(d time.Duration) Option { return func(m *Model) { m.refresh = d } }

// WithBackoff sets the first reconnect delay (default DefaultBackoff).
func WithBackoff(d time.Duration) Option { return func(m *Model) { m.minBackoff = d } }

// WithContext sets the parent context of every request and stream.
func WithContext(ctx context.Context) Option { return func(m *Model) { m.parent = ctx } }

// WithBench sets the function behind the b key (default: none, the key
// says so).
func WithBench(f BenchFunc) Option { return func(m *Model) { m.bench = f } }

// WithScrape sets the source of commit-latency samples (default: none,
// the sparkline shows n/a).
func WithScrape(f ScrapeFunc) Option { return func(m *Model) { m.scrape = f } }

// WithName sets the cluster name shown before the first status arrives.
func WithName(name string) Option { return func(m *Model) { m.status.Name = name } }

// Model is the dashboard's bubbletea model. Create it with New; it is used
// through a pointer and owned by one tea.Program.
type Model struct {
	client  ControlClient
	parent  context.Context
	ctx     context.Context
	cancel  context.CancelFunc
	now     func() time.Time
	loc     *time.Location
	noColor bool
	refresh time.Duration
	// minBackoff is the first reconnect delay.
	minBackoff time.Duration
	tickGen    int
	bench      BenchFunc
	scrape     ScrapeFunc

	keys     KeyMap
	help     help.Model
	st       styles
	readOnly string

	width, height int

	// What the cluster said.
	status     sandbox.Status
	haveStatus bool
	statusAt   time.Time
	conn       connState
	lastErr    error
	attempt    int
	fetching   bool
	dirty      bool

	// The event stream: one pending read per stream generation.
	streamGen    int
	events       <-chan sandbox.Event
	streamCancel context.CancelFunc
	subscribing  bool
	noStream     bool

	log      []logEntry
	timeline []leaderChange

	throughput   series
	p99          series
	prevCommit   uint64
	prevCommitAt time.Time
	prevHist     Histogram
	scraping     bool
	lastScrape   time.Time

	// UI state.
	screen      screen
	focus       pane
	selectedID  uint64
	marked      map[uint64]bool
	sortBy      sortKey
	eventScroll int
	tlScroll    int
	filter      string
	filtering   bool
	confirm     *confirmation
	flash       string
	flashErr    bool
	benching    bool
	quitting    bool
}

// New returns a dashboard over c. Options set the clock, colour, refresh
// period and optional bench and latency sources.
func New(c ControlClient, opts ...Option) *Model {
	m := &Model{
		client:     c,
		parent:     context.Background(),
		now:        time.Now,
		loc:        time.Local,
		refresh:    DefaultRefresh,
		minBackoff: DefaultBackoff,
		keys:       DefaultKeyMap(),
		help:       help.New(),
		marked:     map[uint64]bool{},
		width:      80,
		height:     24,
	}
	for _, o := range opts {
		o(m)
	}
	m.ctx, m.cancel = context.WithCancel(m.parent)
	if ro, ok := c.(ReadOnly); ok {
		m.readOnly = ro.ReadOnlyReason()
		m.keys.readOnly()
	}
	m.st = newStyles(m.noColor)
	m.help.Styles = m.st.help
	m.throughput.cap, m.p99.cap = maxSamples, maxSamples
	return m
}

// Close ends the model's requests and event stream. The program's owner
// calls it after Run returns (q also does it).
func (m *Model) Close() { m.cancel() }

// Init starts the first status fetch, the event stream and the refresh.
func (m *Model) Init() tea.Cmd {
	m.fetching = true
	m.subscribing = true
	return tea.Batch(m.fetchStatus(), m.subscribe(), tick(m.refresh, m.tickGen))
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
		return m, nil
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case StatusMsg:
		return m, m.onStatus(msg)
	case StatusErrMsg:
		return m, m.onStatusErr(msg.Err)
	case SubscribedMsg:
		if msg.gen != m.streamGen || m.quitting {
			msg.cancel()
			return m, nil
		}
		m.subscribing = false
		m.events, m.streamCancel = msg.Events, msg.cancel
		return m, waitForEvent(msg.Events, msg.gen)
	case SubscribeErrMsg:
		if msg.gen != m.streamGen {
			return m, nil
		}
		m.subscribing = false
		if errors.Is(msg.Err, ErrNoEvents) {
			m.noStream = true
		}
		return m, nil
	case EventMsg:
		if msg.gen != m.streamGen {
			return m, nil // a stale stream's last read: let it go
		}
		m.onEvent(msg.Event)
		return m, tea.Batch(waitForEvent(m.events, msg.gen), m.requestStatus())
	case StreamClosedMsg:
		if msg.gen != m.streamGen {
			return m, nil
		}
		m.stopStream()
		// The stream ends when the cluster goes away: find out now rather
		// than at the next refresh.
		return m, m.requestStatus()
	case TickMsg:
		if msg.gen != m.tickGen {
			return m, nil // a chain replaced by a faster or slower one
		}
		return m, m.onTick()
	case ActionDoneMsg:
		if msg.Err != nil {
			m.setFlash(fmt.Sprintf("%s: %v", msg.What, msg.Err), true)
			m.addLocal(fmt.Sprintf("%s failed: %v", msg.What, msg.Err), true)
		} else {
			m.setFlash(msg.What+": done", false)
			m.addLocal(msg.What, false)
		}
		return m, m.requestStatus()
	case BenchDoneMsg:
		m.benching = false
		if msg.Err != nil {
			m.setFlash(msg.Err.Error(), true)
			return m, nil
		}
		line := "bench: " + benchSummary(msg.Result)
		m.setFlash(line, false)
		m.addLocal(line, false)
		return m, m.requestStatus()
	case MetricsMsg:
		m.scraping = false
		if msg.Err == nil {
			m.onLatency(msg.Sample)
		}
		return m, nil
	}
	return m, nil
}

// requestStatus fetches the status now, or once more after the fetch in
// flight, so bursts of events cost at most two fetches.
func (m *Model) requestStatus() tea.Cmd {
	if m.fetching {
		m.dirty = true
		return nil
	}
	m.fetching = true
	return m.fetchStatus()
}

func (m *Model) stopStream() {
	if m.streamCancel != nil {
		m.streamCancel()
	}
	m.events, m.streamCancel = nil, nil
}

func (m *Model) backoff() time.Duration {
	d := m.minBackoff
	for i := 1; i < m.attempt && d < maxBackoff; i++ {
		d *= 2
	}
	return max(min(d, maxBackoff), m.minBackoff)
}

func (m *Model) onTick() tea.Cmd {
	next := m.refresh
	if m.conn == connDisconnected {
		next = m.backoff()
	}
	return tea.Batch(m.requestStatus(), tick(next, m.tickGen))
}

// rearm replaces the tick chain, so a change of connection state takes
// effect now rather than at the end of the current period.
func (m *Model) rearm(d time.Duration) tea.Cmd {
	m.tickGen++
	return tick(d, m.tickGen)
}

func (m *Model) onStatus(msg StatusMsg) tea.Cmd {
	m.fetching = false
	var cmds []tea.Cmd
	if m.conn == connDisconnected {
		m.addLocal("reconnected", false)
		cmds = append(cmds, m.rearm(m.refresh))
	}
	m.conn, m.attempt, m.lastErr = connConnected, 0, nil
	m.status, m.haveStatus, m.statusAt = msg.Status, true, msg.At
	m.clampSelection()
	m.leaderFromStatus(msg)
	m.sampleThroughput(msg.At)
	if m.events == nil && !m.noStream && !m.subscribing {
		m.subscribing = true
		cmds = append(cmds, m.subscribe())
	}
	// Latency samples follow the refresh period, like throughput, however
	// many event-driven fetches come in between.
	if m.scrape != nil && !m.scraping && msg.At.Sub(m.lastScrape) >= m.refresh*9/10 {
		if addrs := m.httpAddrs(); len(addrs) > 0 {
			m.scraping, m.lastScrape = true, msg.At
			cmds = append(cmds, m.scrapeLatency(addrs))
		}
	}
	if m.dirty {
		m.dirty = false
		cmds = append(cmds, m.requestStatus())
	}
	return tea.Batch(cmds...)
}

// leaderFromStatus seeds the timeline on attach. Later, with an event
// stream, the timeline follows leader_elected events, whose times are
// exact; without one, a refresh that shows another leader is the change.
func (m *Model) leaderFromStatus(msg StatusMsg) {
	st := msg.Status
	if st.Leader == 0 {
		return
	}
	if len(m.timeline) == 0 {
		m.noteLeader(msg.At, st.Leader, st.Term)
		return
	}
	last := m.timeline[len(m.timeline)-1]
	if !m.noStream || (last.Leader == st.Leader && last.Term == st.Term) || last.Term > st.Term {
		return
	}
	m.addEntry(logEntry{At: msg.At, Kind: string(sandbox.EventLeaderElected),
		Text: fmt.Sprintf("node %d elected leader (term %d)", st.Leader, st.Term)})
	m.noteLeader(msg.At, st.Leader, st.Term)
}

func (m *Model) onStatusErr(err error) tea.Cmd {
	m.fetching = false
	m.dirty = false
	m.lastErr = err
	if m.conn != connDisconnected {
		m.addLocal(fmt.Sprintf("disconnected: %v", err), true)
		m.stopStream()
		m.subscribing = false
		m.streamGen++ // any read still pending belongs to the old stream
	}
	m.conn = connDisconnected
	m.attempt++
	return m.rearm(m.backoff())
}

func (m *Model) onEvent(ev sandbox.Event) {
	at := ev.Time
	if at.IsZero() {
		at = m.now()
	}
	m.addEntry(logEntry{At: at, Kind: string(ev.Type), Text: eventText(ev), Err: ev.Type == sandbox.EventNodeDown})
	switch ev.Type {
	case sandbox.EventLeaderElected:
		m.noteLeader(at, ev.Node, ev.Term)
	case sandbox.EventTermChanged:
		if n := len(m.timeline); n == 0 || m.timeline[n-1].Term < ev.Term {
			m.pushTimeline(leaderChange{At: at, Term: ev.Term})
		}
	}
}

// noteLeader records a leader unless the timeline already ends with it.
// Events and status refreshes both report leaders; this keeps one entry.
func (m *Model) noteLeader(at time.Time, leader, term uint64) {
	if n := len(m.timeline); n > 0 {
		last := m.timeline[n-1]
		if last.Leader == leader && last.Term == term {
			return
		}
		if last.Leader == 0 && last.Term == term {
			// The election of this term produced a leader: replace the marker.
			m.timeline[n-1] = leaderChange{At: at, Leader: leader, Term: term}
			return
		}
		if last.Term > term {
			return // an old report arriving late
		}
	}
	m.pushTimeline(leaderChange{At: at, Leader: leader, Term: term})
}

func (m *Model) pushTimeline(c leaderChange) {
	m.timeline = append(m.timeline, c)
	if len(m.timeline) > maxTimeline {
		m.timeline = slices.Delete(m.timeline, 0, len(m.timeline)-maxTimeline)
	}
}

func (m *Model) addEntry(e logEntry) {
	m.log = append(m.log, e)
	if len(m.log) > maxLog {
		// Drop the oldest quarter at once so appends stay amortised O(1).
		m.log = slices.Delete(m.log, 0, len(m.log)-maxLog*3/4)
	}
	if m.eventScroll > 0 {
		m.eventScroll++ // keep the lines the user scrolled to in view
	}
}

func (m *Model) addLocal(text string, isErr bool) {
	m.addEntry(logEntry{At: m.now(), Kind: "local", Text: text, Err: isErr})
}

func (m *Model) setFlash(s string, isErr bool) { m.flash, m.flashErr = s, isErr }

// leaderCommit is the commit index the throughput sparkline follows: the
// leader's, or the highest when there is none.
func (m *Model) leaderCommit() uint64 {
	var c uint64
	for _, n := range m.status.Nodes {
		if n.ID == m.status.Leader {
			return n.Commit
		}
		c = max(c, n.Commit)
	}
	return c
}

// sampleThroughput adds a writes/s sample at most once per refresh period,
// so event-driven fetches do not bunch the sparkline.
func (m *Model) sampleThroughput(at time.Time) {
	commit := m.leaderCommit()
	if m.prevCommitAt.IsZero() {
		m.prevCommit, m.prevCommitAt = commit, at
		return
	}
	dt := at.Sub(m.prevCommitAt)
	if dt < m.refresh*9/10 {
		return
	}
	if commit >= m.prevCommit {
		m.throughput.push(float64(commit-m.prevCommit) / dt.Seconds())
	}
	m.prevCommit, m.prevCommitAt = commit, at
}

func (m *Model) onLatency(s LatencySample) {
	prev := m.prevHist
	m.prevHist = s.Hist
	if prev.Count == 0 && len(prev.Buckets) == 0 {
		return
	}
	d, ok := s.Hist.Sub(prev)
	if !ok {
		return // a node restarted and its counters began again
	}
	if d.Count == 0 {
		m.p99.push(-1) // no writes: a gap in the sparkline
		return
	}
	m.p99.push(d.Quantile(0.99).Seconds() * 1000)
}

func (m *Model) httpAddrs() []string {
	var out []string
	for _, n := range m.status.Nodes {
		if n.HTTP != "" && n.Health != "down" {
			out = append(out, n.HTTP)
		}
	}
	return out
}

// sortedNodes returns the nodes in table order.
func (m *Model) sortedNodes() []sandbox.NodeStatus {
	nodes := slices.Clone(m.status.Nodes)
	slices.SortStableFunc(nodes, func(a, b sandbox.NodeStatus) int {
		switch m.sortBy {
		case sortRole:
			if c := cmp.Compare(roleRank(a, m.status.Leader), roleRank(b, m.status.Leader)); c != 0 {
				return c
			}
		case sortLag:
			if c := cmp.Compare(b.Lag, a.Lag); c != 0 {
				return c
			}
		case sortHealth:
			if c := cmp.Compare(healthRank(a.Health), healthRank(b.Health)); c != 0 {
				return c
			}
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return nodes
}

func roleRank(n sandbox.NodeStatus, leader uint64) int {
	switch {
	case n.ID == leader:
		return 0
	case n.Role == "follower":
		return 1
	case n.Role == "candidate", n.Role == "pre-candidate":
		return 2
	}
	return 3
}

// healthRank puts the nodes that need attention first.
func healthRank(h string) int {
	switch h {
	case "down", "unreachable":
		return 0
	case "paused":
		return 1
	case "no-leader":
		return 2
	}
	return 3
}

// cursor is the index of the selected node in table order.
func (m *Model) cursor() int {
	for i, n := range m.sortedNodes() {
		if n.ID == m.selectedID {
			return i
		}
	}
	return 0
}

func (m *Model) clampSelection() {
	nodes := m.sortedNodes()
	if len(nodes) == 0 {
		return
	}
	for _, n := range nodes {
		if n.ID == m.selectedID {
			return
		}
	}
	m.selectedID = nodes[0].ID
	for id := range m.marked {
		if !slices.ContainsFunc(nodes, func(n sandbox.NodeStatus) bool { return n.ID == id }) {
			delete(m.marked, id)
		}
	}
}

func (m *Model) selected() (sandbox.NodeStatus, bool) {
	for _, n := range m.status.Nodes {
		if n.ID == m.selectedID {
			return n, true
		}
	}
	return sandbox.NodeStatus{}, false
}

func (m *Model) moveSelection(delta int) {
	nodes := m.sortedNodes()
	if len(nodes) == 0 {
		return
	}
	i := min(max(m.cursor()+delta, 0), len(nodes)-1)
	m.selectedID = nodes[i].ID
}

// filteredLog returns the log entries that match the filter, oldest first.
func (m *Model) filteredLog() []logEntry {
	if m.filter == "" {
		return m.log
	}
	f := strings.ToLower(m.filter)
	var out []logEntry
	for _, e := range m.log {
		if strings.Contains(strings.ToLower(e.Text), f) || strings.Contains(e.Kind, f) {
			out = append(out, e)
		}
	}
	return out
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.stopStream()
	m.cancel()
	return tea.Quit
}

func (m *Model) handleKey(msg tea.KeyPressMsg) tea.Cmd {
	if msg.String() == "ctrl+c" {
		return m.quit()
	}
	if m.confirm != nil {
		switch {
		case key.Matches(msg, m.keys.Confirm):
			c := m.confirm
			m.confirm = nil
			m.setFlash(c.Prompt+" …", false)
			return c.Cmd
		case key.Matches(msg, m.keys.Cancel):
			m.confirm = nil
			m.setFlash("cancelled", false)
		}
		return nil
	}
	if m.filtering {
		return m.filterKey(msg)
	}
	m.flash = ""
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Help):
		if m.screen == screenHelp {
			m.screen = screenMain
		} else {
			m.screen = screenHelp
		}
		return nil
	case key.Matches(msg, m.keys.Back):
		if m.screen != screenMain {
			m.screen = screenMain
		} else if m.filter != "" {
			m.filter = ""
			m.eventScroll = 0
		}
		return nil
	}
	if m.screen == screenHelp {
		return nil
	}
	switch {
	case key.Matches(msg, m.keys.Enter):
		if m.screen == screenDetail {
			m.screen = screenMain
		} else if _, ok := m.selected(); ok {
			m.screen = screenDetail
		}
		return nil
	case key.Matches(msg, m.keys.Tab):
		if m.screen == screenMain {
			if msg.String() == "shift+tab" {
				m.focus = (m.focus + numPanes - 1) % numPanes
			} else {
				m.focus = (m.focus + 1) % numPanes
			}
		}
		return nil
	case key.Matches(msg, m.keys.Up):
		m.scroll(-1)
		return nil
	case key.Matches(msg, m.keys.Down):
		m.scroll(1)
		return nil
	case key.Matches(msg, m.keys.Filter):
		m.screen = screenMain
		m.filtering = true
		m.focus = paneEvents
		return nil
	case key.Matches(msg, m.keys.Sort):
		m.sortBy = (m.sortBy + 1) % numSortKeys
		m.setFlash("nodes sorted by "+m.sortBy.String(), false)
		return nil
	case key.Matches(msg, m.keys.Mark):
		if n, ok := m.selected(); ok {
			m.marked[n.ID] = !m.marked[n.ID]
			if !m.marked[n.ID] {
				delete(m.marked, n.ID)
			}
		}
		return nil
	}
	for _, b := range m.keys.faultKeys() {
		if key.Matches(msg, b) {
			if m.readOnly != "" {
				m.setFlash(fmt.Sprintf("%s is off in read-only mode: %s", strings.TrimSuffix(b.Help().Desc, " (off)"), m.readOnly), true)
				return nil
			}
			return m.faultKey(msg)
		}
	}
	return nil
}

// scroll moves the selection or scrolls the focused pane.
func (m *Model) scroll(delta int) {
	if m.screen == screenDetail || m.focus == paneNodes {
		m.moveSelection(delta)
		return
	}
	switch m.focus {
	case paneEvents:
		// The log shows the newest line last; scrolling up goes back in time.
		m.eventScroll = min(max(m.eventScroll-delta, 0), max(len(m.filteredLog())-1, 0))
	case paneTimeline:
		m.tlScroll = min(max(m.tlScroll-delta, 0), max(len(m.timeline)-1, 0))
	}
}

func (m *Model) filterKey(msg tea.KeyPressMsg) tea.Cmd {
	switch msg.String() {
	case "enter":
		m.filtering = false
	case "esc":
		m.filtering, m.filter = false, ""
	case "backspace":
		if r := []rune(m.filter); len(r) > 0 {
			m.filter = string(r[:len(r)-1])
		}
	case "space":
		m.filter += " "
	default:
		if msg.Text != "" && msg.Mod == 0 || msg.Text != "" && msg.Mod == tea.ModShift {
			m.filter += msg.Text
		}
	}
	m.eventScroll = 0
	return nil
}

func describeNode(n sandbox.NodeStatus, leader uint64) string {
	if n.ID == leader {
		return fmt.Sprintf("node %d (the leader)", n.ID)
	}
	return fmt.Sprintf("node %d", n.ID)
}

func (m *Model) ask(prompt string, cmd tea.Cmd) tea.Cmd {
	m.confirm = &confirmation{Prompt: prompt, Cmd: cmd}
	return nil
}

// faultKey handles the keys that change the cluster.
func (m *Model) faultKey(msg tea.KeyPressMsg) tea.Cmd {
	c := m.client
	k := m.keys
	switch {
	case key.Matches(msg, k.Heal):
		return m.runAction("heal", c.Heal)
	case key.Matches(msg, k.AddNode):
		return m.runAction("add node", func(ctx context.Context) error {
			_, err := c.AddNode(ctx)
			return err
		})
	case key.Matches(msg, k.Bench):
		if m.benching {
			m.setFlash("a bench is already running", false)
			return nil
		}
		var eps []string
		for _, n := range m.status.Nodes {
			if n.Health != "down" && n.Endpoint != "" {
				eps = append(eps, n.Endpoint)
			}
		}
		if len(eps) == 0 {
			m.setFlash("bench: no node is up", true)
			return nil
		}
		m.benching = true
		m.setFlash(fmt.Sprintf("bench: up to %d puts for %v …", BenchTotal, BenchDuration), false)
		return m.runBench(eps)
	case key.Matches(msg, k.Partition):
		return m.askPartition()
	}
	n, ok := m.selected()
	if !ok {
		m.setFlash("no node selected", true)
		return nil
	}
	id, who := n.ID, describeNode(n, m.status.Leader)
	switch {
	case key.Matches(msg, k.Kill):
		if n.Health == "down" {
			m.setFlash(fmt.Sprintf("node %d is already down (r restarts it)", id), true)
			return nil
		}
		return m.ask("Kill "+who+"?", m.runAction(fmt.Sprintf("kill node %d", id), func(ctx context.Context) error { return c.Kill(ctx, id) }))
	case key.Matches(msg, k.Restart):
		if n.Health == "down" {
			return m.runAction(fmt.Sprintf("restart node %d", id), func(ctx context.Context) error { return c.Restart(ctx, id) })
		}
		return m.ask("Restart "+who+"? It is killed, then started again.", m.runAction(fmt.Sprintf("restart node %d", id), func(ctx context.Context) error {
			if err := c.Kill(ctx, id); err != nil {
				return err
			}
			return c.Restart(ctx, id)
		}))
	case key.Matches(msg, k.Pause):
		if n.Health == "paused" || slices.Contains(m.status.Paused, id) {
			return m.runAction(fmt.Sprintf("resume node %d", id), func(ctx context.Context) error { return c.Resume(ctx, id) })
		}
		return m.runAction(fmt.Sprintf("pause node %d", id), func(ctx context.Context) error { return c.Pause(ctx, id) })
	case key.Matches(msg, k.Delay):
		return m.runAction(fmt.Sprintf("delay node %d by %v±%v", id, DelayLatency, DelayJitter), func(ctx context.Context) error {
			return c.Delay(ctx, id, DelayLatency, DelayJitter)
		})
	case key.Matches(msg, k.Transfer):
		if id == m.status.Leader {
			m.setFlash(fmt.Sprintf("node %d is already the leader", id), false)
			return nil
		}
		return m.runAction(fmt.Sprintf("transfer leadership to node %d", id), func(ctx context.Context) error { return c.TransferLeader(ctx, id) })
	case key.Matches(msg, k.RemoveNode):
		return m.ask("Remove "+who+" from the cluster?", m.runAction(fmt.Sprintf("remove node %d", id), func(ctx context.Context) error { return c.RemoveNode(ctx, id) }))
	}
	return nil
}

// askPartition cuts the marked nodes (or the selected one) off from the
// rest, after confirmation.
func (m *Model) askPartition() tea.Cmd {
	var in, out []uint64
	for _, n := range m.sortedNodes() {
		if m.marked[n.ID] || (len(m.marked) == 0 && n.ID == m.selectedID) {
			in = append(in, n.ID)
		} else {
			out = append(out, n.ID)
		}
	}
	slices.Sort(in)
	slices.Sort(out)
	if len(in) == 0 || len(out) == 0 {
		m.setFlash("partition: mark some nodes (space), not all of them", true)
		return nil
	}
	groups := [][]uint64{in, out}
	desc := fmt.Sprintf("partition %s | %s", idList(in), idList(out))
	c := m.client
	clear(m.marked)
	return m.ask(fmt.Sprintf("Partition nodes %s from %s?", idList(in), idList(out)),
		m.runAction(desc, func(ctx context.Context) error { return c.Partition(ctx, groups) }))
}

func idList(ids []uint64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}

// eventText says what an event means in words.
func eventText(ev sandbox.Event) string {
	detail := ""
	if ev.Detail != "" {
		detail = ": " + ev.Detail
	}
	switch ev.Type {
	case sandbox.EventLeaderElected:
		return fmt.Sprintf("node %d elected leader (term %d)", ev.Node, ev.Term)
	case sandbox.EventTermChanged:
		return fmt.Sprintf("term %d began", ev.Term)
	case sandbox.EventNodeDown:
		return fmt.Sprintf("node %d down%s", ev.Node, detail)
	case sandbox.EventNodeUp:
		return fmt.Sprintf("node %d up%s", ev.Node, detail)
	case sandbox.EventFaultApplied:
		return "fault" + detail
	case sandbox.EventFaultHealed:
		return "healed" + detail
	case sandbox.EventMembershipChanged:
		return "membership" + detail
	}
	s := string(ev.Type)
	if ev.Node != 0 {
		s += fmt.Sprintf(" node %d", ev.Node)
	}
	return s + detail
}
