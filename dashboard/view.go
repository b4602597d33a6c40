package dashboard

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/dustin/go-humanize"

	"github.com/gocli/gocli/sandbox"
)

// styles are the dashboard's lipgloss styles. Without colour every style is
// empty, so the screen is plain text and the markers carry the meaning.
type styles struct {
	title, titleFocus  lipgloss.Style
	header             lipgloss.Style
	leader, selected   lipgloss.Style
	ok, warn, bad, dim lipgloss.Style
	box                lipgloss.Style
	help               help.Styles
}

func newStyles(noColor bool) styles {
	box := lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).Padding(0, 1)
	if noColor {
		var z lipgloss.Style
		return styles{box: box, title: z, titleFocus: z, header: z, leader: z, selected: z, ok: z, warn: z, bad: z, dim: z,
			help: help.Styles{}}
	}
	c := lipgloss.Color
	return styles{
		title:      lipgloss.NewStyle().Bold(true),
		titleFocus: lipgloss.NewStyle().Bold(true).Foreground(c("12")),
		header:     lipgloss.NewStyle().Bold(true),
		leader:     lipgloss.NewStyle().Foreground(c("14")).Bold(true),
		selected:   lipgloss.NewStyle().Reverse(true),
		ok:         lipgloss.NewStyle().Foreground(c("10")),
		warn:       lipgloss.NewStyle().Foreground(c("11")),
		bad:        lipgloss.NewStyle().Foreground(c("9")),
		dim:        lipgloss.NewStyle().Foreground(c("8")),
		box:        box.BorderForeground(c("11")),
		help:       help.DefaultDarkStyles(),
	}
}

// View renders the whole screen.
func (m *Model) View() tea.View {
	v := tea.NewView(m.Render())
	v.AltScreen = true
	v.WindowTitle = "gocli dashboard: " + m.status.Name
	return v
}

// Render returns the screen as a string of exactly the window's height,
// every line cut to its width.
func (m *Model) Render() string {
	w, h := max(m.width, 20), max(m.height, 6)
	var lines []string
	switch m.screen {
	case screenHelp:
		lines = m.helpLines(w)
	case screenDetail:
		lines = m.detailLines(w)
	default:
		lines = m.mainLines(w, h)
	}
	top := []string{m.headerLine(w), m.faultLine(w)}
	bottom := m.footerLines(w)
	body := h - len(top) - len(bottom)
	lines = fit(lines, body)
	all := slices.Concat(top, lines, bottom)
	if m.confirm != nil {
		all = m.overlay(all, w, h)
	}
	var b strings.Builder
	b.Grow(h * (w + 16))
	for i, l := range all {
		if i > 0 {
			b.WriteByte('\n')
		}
		if len(l) > w { // a line of at most w bytes is at most w cells wide
			l = ansi.Truncate(l, w, "…")
		}
		b.WriteString(l)
	}
	return b.String()
}

// fit pads or cuts lines to exactly n.
func fit(lines []string, n int) []string {
	if n <= 0 {
		return nil
	}
	if len(lines) > n {
		return lines[:n]
	}
	for len(lines) < n {
		lines = append(lines, "")
	}
	return lines
}

func (m *Model) headerLine(w int) string {
	st := m.status
	name := st.Name
	if name == "" {
		name = "?"
	}
	parts := []string{m.st.header.Render(name)}
	if m.haveStatus {
		leader := m.st.bad.Render("no leader")
		if st.Leader != 0 {
			leader = fmt.Sprintf("leader %d", st.Leader)
		}
		healthy := 0
		for _, n := range st.Nodes {
			if n.Health == "healthy" {
				healthy++
			}
		}
		hs := fmt.Sprintf("%d/%d healthy", healthy, len(st.Nodes))
		if healthy < len(st.Nodes) {
			hs = m.st.warn.Render(hs)
		}
		parts = append(parts, leader, fmt.Sprintf("term %d", st.Term), fmt.Sprintf("commit %d", m.leaderCommit()), hs)
	}
	parts = append(parts, m.connLine())
	line := strings.Join(parts, " · ")
	// The program's name only when there is room for it.
	if title := "gocli dashboard · "; ansi.StringWidth(line)+len(title) <= w {
		line = m.st.header.Render(title) + line
	}
	return line
}

func (m *Model) connLine() string {
	var s string
	switch m.conn {
	case connConnecting:
		s = m.st.warn.Render("connecting")
	case connConnected:
		s = m.st.ok.Render("connected")
		if m.noStream {
			s = m.st.ok.Render("polling")
		}
	case connDisconnected:
		s = m.st.bad.Render("disconnected")
	}
	if m.readOnly != "" {
		s = m.st.warn.Render("read-only") + " · " + s
	}
	return s
}

func (m *Model) faultLine(w int) string {
	if m.conn == connDisconnected && m.lastErr != nil {
		seen := ""
		if m.haveStatus {
			seen = ", last seen " + m.statusAt.In(m.loc).Format("15:04:05")
		}
		return m.st.bad.Render(fmt.Sprintf("disconnected, retrying in %v%s: %s", m.backoff(), seen, oneLine(m.lastErr.Error())))
	}
	if m.readOnly != "" {
		return m.st.dim.Render("read-only: " + m.readOnly)
	}
	f := describeFaults(m.status.Faults, m.status.Paused)
	if f == "" {
		return m.st.dim.Render("faults: none")
	}
	return m.st.warn.Render("faults: " + f)
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// describeFaults says which faults are in force, e.g.
// "partition 1 | 2,3; delay 2 100ms±20ms".
func describeFaults(f sandbox.FaultSpec, paused []uint64) string {
	var parts []string
	if len(f.Partition) > 0 {
		gs := make([]string, len(f.Partition))
		for i, g := range f.Partition {
			gs[i] = idList(g)
		}
		parts = append(parts, "partition "+strings.Join(gs, " | "))
	}
	for _, id := range sortedIDs(f.Delay) {
		d := f.Delay[id]
		parts = append(parts, fmt.Sprintf("delay %d %v±%v", id, d.Latency, d.Jitter))
	}
	for _, id := range sortedIDs(f.Drop) {
		parts = append(parts, fmt.Sprintf("drop %d %.0f%%", id, f.Drop[id]*100))
	}
	for _, id := range paused {
		parts = append(parts, fmt.Sprintf("paused %d", id))
	}
	return strings.Join(parts, "; ")
}

func sortedIDs[V any](m map[uint64]V) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func (m *Model) paneTitle(p pane, text string) string {
	if m.focus == p && m.screen == screenMain {
		return m.st.titleFocus.Render("▸ " + text)
	}
	return m.st.title.Render("  " + text)
}

// mainLines lays out the overview: nodes, sparklines, leader timeline and
// event log, giving the log whatever height is left.
func (m *Model) mainLines(w, h int) []string {
	body := h - 2 - 2 // header and fault line, footer
	nodes := m.sortedNodes()
	const fixed = 1 + 1 + 2 + 1 + 1 // nodes title, table head, sparklines, leaders title, events title
	tlRows := min(max(len(m.timeline), 1), 3)
	room := body - fixed - tlRows - 2 // at least two event lines
	nodeRows := min(len(nodes), max(room, 1))
	if len(nodes) == 0 {
		nodeRows = 1
	}
	eventRows := max(body-fixed-tlRows-nodeRows, 1)

	lines := make([]string, 0, body)
	title := fmt.Sprintf("Nodes (by %s)", m.sortBy)
	if len(m.marked) > 0 {
		title += fmt.Sprintf(", marked %s", idList(sortedIDs(m.marked)))
	}
	lines = append(lines, m.paneTitle(paneNodes, title))
	lines = append(lines, m.st.dim.Render(fmt.Sprintf("    %-3s %-9s %5s %8s %8s %6s %-11s %s", "ID", "ROLE", "TERM", "COMMIT", "APPLIED", "LAG", "HEALTH", "ENDPOINT")))
	lines = append(lines, m.nodeRows(nodes, nodeRows)...)
	lines = append(lines, m.sparkLines(w)...)
	lines = append(lines, m.paneTitle(paneTimeline, "Leaders"))
	lines = append(lines, m.timelineRows(tlRows)...)
	lines = append(lines, m.paneTitle(paneEvents, m.eventsTitle()))
	lines = append(lines, m.eventRows(eventRows)...)
	return lines
}

func (m *Model) nodeRows(nodes []sandbox.NodeStatus, rows int) []string {
	if len(nodes) == 0 {
		if m.haveStatus {
			return []string{"    no nodes"}
		}
		return []string{"    waiting for the cluster…"}
	}
	// Scroll so the selection stays in view.
	cur := m.cursor()
	start := 0
	if cur >= rows {
		start = cur - rows + 1
	}
	end := min(start+rows, len(nodes))
	out := make([]string, 0, rows)
	for i := start; i < end; i++ {
		out = append(out, m.nodeRow(nodes[i]))
	}
	return out
}

func (m *Model) nodeRow(n sandbox.NodeStatus) string {
	sel, mark, star := " ", " ", " "
	if n.ID == m.selectedID {
		sel = ">"
	}
	if m.marked[n.ID] {
		mark = "+"
	}
	isLeader := n.ID == m.status.Leader && n.ID != 0
	if isLeader {
		star = "*"
	}
	health := fmt.Sprintf("%-11s", n.Health)
	switch n.Health {
	case "healthy":
		health = m.st.ok.Render(health)
	case "down", "unreachable":
		health = m.st.bad.Render(health)
	default:
		health = m.st.warn.Render(health)
	}
	row := fmt.Sprintf("%-3d %-9s %5d %8d %8d %6d ", n.ID, n.Role, n.Term, n.Commit, n.Applied, n.Lag)
	if isLeader {
		row = m.st.leader.Render(row)
	}
	line := sel + mark + star + " " + row + health + " " + n.Endpoint
	if n.ID == m.selectedID && m.focus == paneNodes {
		line = m.st.selected.Render(line)
	}
	return line
}

func (m *Model) sparkLines(w int) []string {
	const label, stats = 11, 24
	width := max(w-label-stats-2, 8)
	line := func(name string, s *series, unit, none string) string {
		if len(s.vals) == 0 {
			return fmt.Sprintf("  %-*s%s", label, name, m.st.dim.Render(none))
		}
		sp, peak := sparkline(s.vals, width)
		now, ok := s.last()
		nowS := "-"
		if ok {
			nowS = human(now) + unit
		}
		return fmt.Sprintf("  %-*s%s  now %s max %s%s", label, name, m.st.leader.Render(sp), nowS, human(peak), unit)
	}
	p99None := "n/a (needs the nodes' /metrics)"
	if m.scrape != nil {
		p99None = "waiting for writes…"
	}
	return []string{
		line("writes/s", &m.throughput, "", "waiting for samples…"),
		line("commit p99", &m.p99, "ms", p99None),
	}
}

func (m *Model) timelineRows(rows int) []string {
	if len(m.timeline) == 0 {
		return []string{m.st.dim.Render("    no leader yet")}
	}
	end := len(m.timeline) - m.tlScroll
	start := max(end-rows, 0)
	out := make([]string, 0, rows)
	for i := start; i < end; i++ {
		c := m.timeline[i]
		what := fmt.Sprintf("node %d leads", c.Leader)
		if c.Leader == 0 {
			what = m.st.warn.Render("election…")
		}
		if i > 0 && c.Leader != 0 {
			if prev := m.timeline[i-1]; prev.Leader != 0 {
				what += fmt.Sprintf(" (node %d led %v)", prev.Leader, c.At.Sub(prev.At).Round(time.Second))
			}
		}
		out = append(out, fmt.Sprintf("    %s  term %-4d %s", c.At.In(m.loc).Format("15:04:05"), c.Term, what))
	}
	return out
}

func (m *Model) eventsTitle() string {
	log := m.filteredLog()
	t := fmt.Sprintf("Events (%d)", len(log))
	if m.filter != "" || m.filtering {
		t = fmt.Sprintf("Events (%d of %d, filter %q)", len(log), len(m.log), m.filter)
	}
	if m.eventScroll > 0 {
		t += fmt.Sprintf(" ↑%d", m.eventScroll)
	}
	return t
}

func (m *Model) eventRows(rows int) []string {
	log := m.filteredLog()
	if len(log) == 0 {
		if m.filter != "" {
			return []string{m.st.dim.Render("    no event matches")}
		}
		return []string{m.st.dim.Render("    no events yet")}
	}
	end := len(log) - min(m.eventScroll, len(log)-1)
	start := max(end-rows, 0)
	out := make([]string, 0, rows)
	for _, e := range log[start:end] {
		text := e.Text
		if e.Err {
			text = m.st.bad.Render(text)
		} else if e.Kind == string(sandbox.EventLeaderElected) {
			text = m.st.leader.Render(text)
		}
		out = append(out, "    "+e.At.In(m.loc).Format("15:04:05")+"  "+text)
	}
	return out
}

func (m *Model) footerLines(w int) []string {
	var status string
	switch {
	case m.filtering:
		status = "filter: " + m.filter + "█" + m.st.dim.Render("  (enter keeps, esc clears)")
	case m.flash != "":
		status = m.flash
		if m.flashErr {
			status = m.st.bad.Render(status)
		}
	case m.benching:
		status = "bench running…"
	}
	return []string{status, m.help.ShortHelpView(m.keys.ShortHelp())}
}

func (m *Model) helpLines(w int) []string {
	lines := []string{m.st.title.Render("  Keys"), ""}
	full := m.help.FullHelpView(m.keys.FullHelp())
	for _, l := range strings.Split(full, "\n") {
		lines = append(lines, "  "+l)
	}
	lines = append(lines, "",
		"  space marks nodes for P (partition the marked nodes from the rest);",
		"  x, P, D and r on a running node ask for confirmation (y/n).",
		fmt.Sprintf("  d adds %v±%v to the selected node; h heals every fault.", DelayLatency, DelayJitter),
		fmt.Sprintf("  b runs sandbox bench put (%d puts or %v at most) and reports rate, p50, p99.", BenchTotal, BenchDuration))
	if m.readOnly != "" {
		lines = append(lines, "", m.st.warn.Render("  Fault keys are off: "+m.readOnly))
	}
	lines = append(lines, "", m.st.dim.Render("  ? or esc: back"))
	return lines
}

func (m *Model) detailLines(w int) []string {
	n, ok := m.selected()
	if !ok {
		return []string{"  no node selected"}
	}
	role := n.Role
	if n.ID == m.status.Leader {
		role += " *"
	}
	na := m.st.dim.Render("n/a")
	orNA := func(s string, ok bool) string {
		if !ok {
			return na
		}
		return s
	}
	kv := [][2]string{
		{"role", role},
		{"health", n.Health},
		{"term", fmt.Sprint(n.Term)},
		{"leader", orNA(fmt.Sprint(n.Leader), n.Leader != 0)},
		{"commit", fmt.Sprint(n.Commit)},
		{"applied", fmt.Sprint(n.Applied)},
		{"lag", fmt.Sprintf("%d entries behind the leader", n.Lag)},
		{"endpoint", orNA(n.Endpoint, n.Endpoint != "")},
		{"http", orNA(n.HTTP, n.HTTP != "")},
		{"peer", orNA(n.Peer, n.Peer != "")},
		{"pid", orNA(fmt.Sprint(n.PID), n.PID != 0)},
		{"WAL size", orNA(humanize.IBytes(uint64(max(n.WALSize, 0))), n.WALSize > 0)},
		{"snapshot index", orNA(fmt.Sprint(n.SnapshotIndex), n.Health != "down" && n.WALSize > 0)},
		{"match / next", orNA(matchNext(n), m.status.Leader != 0 && n.Next != 0)},
		{"RSS", m.rss(n, na)},
	}
	if d, ok := m.status.Faults.Delay[n.ID]; ok {
		kv = append(kv, [2]string{"delay", fmt.Sprintf("%v±%v", d.Latency, d.Jitter)})
	}
	if r, ok := m.status.Faults.Drop[n.ID]; ok {
		kv = append(kv, [2]string{"drop", fmt.Sprintf("%.0f%%", r*100)})
	}
	name := n.Name
	if name == "" {
		name = fmt.Sprintf("node %d", n.ID)
	}
	lines := []string{m.st.titleFocus.Render(fmt.Sprintf("  Node %d (%s)", n.ID, name)), ""}
	for _, p := range kv {
		lines = append(lines, fmt.Sprintf("    %-15s %s", p[0], p[1]))
	}
	lines = append(lines, "", m.st.title.Render("  Recent events of this node"))
	needle := fmt.Sprintf("node %d ", n.ID)
	var mine []string
	for i := len(m.log) - 1; i >= 0 && len(mine) < 5; i-- {
		e := m.log[i]
		if strings.Contains(e.Text+" ", needle) {
			mine = append(mine, "    "+e.At.In(m.loc).Format("15:04:05")+"  "+e.Text)
		}
	}
	if len(mine) == 0 {
		mine = []string{m.st.dim.Render("    none")}
	}
	lines = append(lines, mine...)
	lines = append(lines, "", m.st.dim.Render("  enter or esc: back · j/k: other node · x r p d t D act on this node"))
	return lines
}

// matchNext is the leader's view of n's replication.
func matchNext(n sandbox.NodeStatus) string {
	s := fmt.Sprintf("%d / %d", n.Match, n.Next)
	if n.Replication != "" {
		s += " (" + n.Replication + ")"
	}
	return s
}

// rss is the node's own RSS with --processes, or the shared process's
// RSS (said so) for in-process nodes, each with its anonymous part (the
// rest is the gocli executable's pages); an etcd endpoint has neither.
func (m *Model) rss(n sandbox.NodeStatus, na string) string {
	mem := func(rss, anon int64) string {
		s := humanize.IBytes(uint64(rss))
		if anon > 0 {
			s += ", " + humanize.IBytes(uint64(anon)) + " anonymous"
		}
		return s
	}
	switch {
	case n.RSS > 0:
		return mem(n.RSS, n.AnonRSS)
	case m.status.ProcessRSS > 0 && n.Health != "down":
		return mem(m.status.ProcessRSS, m.status.ProcessAnonRSS) + m.st.dim.Render(" (whole process)")
	}
	return na
}

// overlay draws the confirmation dialog over the middle of the screen.
func (m *Model) overlay(lines []string, w, h int) []string {
	body := m.confirm.Prompt + "\n\n" + "y: yes    n/esc: no"
	box := m.st.box.Render(body)
	boxLines := strings.Split(box, "\n")
	bw := 0
	for _, l := range boxLines {
		bw = max(bw, ansi.StringWidth(l))
	}
	x := max((w-bw)/2, 0)
	y := max((h-len(boxLines))/2, 0)
	out := slices.Clone(lines)
	for i, bl := range boxLines {
		row := y + i
		if row >= len(out) {
			break
		}
		base := out[row]
		if pad := w - ansi.StringWidth(base); pad > 0 {
			base += strings.Repeat(" ", pad)
		}
		out[row] = ansi.Truncate(base, x, "") + bl + ansi.TruncateLeft(base, x+bw, "")
	}
	return out
}
