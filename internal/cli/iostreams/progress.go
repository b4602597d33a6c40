package iostreams

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// DefaultProgressInterval is how often plain (non-terminal) progress prints
// a line: often enough to show life in a CI log, rarely enough not to flood it.
const DefaultProgressInterval = 5 * time.Second

// Progress reports the advance of long work on stderr. On a terminal it draws
// a bar (or a spinner when the total is unknown); otherwise it prints a plain
// line at most once per interval, plus one when the work ends, so CI logs stay
// readable. It is safe for concurrent use.
type Progress struct {
	mu       sync.Mutex
	desc     string
	total    int64
	current  int64
	bar      *progressbar.ProgressBar
	w        io.Writer
	interval time.Duration
	last     time.Time
	now      func() time.Time
	done     bool
}

// ProgressOptions tunes a Progress; the zero value is fine.
type ProgressOptions struct {
	// Interval between plain lines when stderr is not a terminal.
	Interval time.Duration
	// Unit names what is counted ("requests", "files"); bytes are shown
	// with binary prefixes when Unit is "bytes".
	Unit string
}

// StartProgress begins reporting work named desc. total < 0 means unknown.
func (s *IOStreams) StartProgress(desc string, total int64, opts ProgressOptions) *Progress {
	p := &Progress{desc: desc, total: total, w: s.ErrOut, interval: opts.Interval, now: time.Now}
	if p.interval <= 0 {
		p.interval = DefaultProgressInterval
	}
	if s.stderrTTY {
		bopts := []progressbar.Option{
			progressbar.OptionSetWriter(s.ErrOut),
			progressbar.OptionSetDescription(desc),
			progressbar.OptionEnableColorCodes(s.colorEnabled),
			progressbar.OptionShowCount(),
			progressbar.OptionSetWidth(30),
			progressbar.OptionThrottle(100 * time.Millisecond),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(s.ErrOut) }),
			progressbar.OptionClearOnFinish(),
		}
		if opts.Unit == "bytes" {
			bopts = append(bopts, progressbar.OptionShowBytes(true))
		} else if opts.Unit != "" {
			bopts = append(bopts, progressbar.OptionSetItsString(opts.Unit))
		}
		p.bar = progressbar.NewOptions64(total, bopts...)
		return p
	}
	p.last = p.now()
	return p
}

// Add advances the work by n units.
func (p *Progress) Add(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current += n
	p.update()
}

// Set records the absolute amount of work done.
func (p *Progress) Set(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.current = n
	p.update()
}

// Describe changes the text shown beside the progress, e.g. live rates.
func (p *Progress) Describe(desc string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.desc = desc
	if p.bar != nil {
		p.bar.Describe(desc)
	}
}

func (p *Progress) update() {
	if p.done {
		return
	}
	if p.bar != nil {
		_ = p.bar.Set64(p.current)
		return
	}
	if now := p.now(); now.Sub(p.last) >= p.interval {
		p.last = now
		p.printLine()
	}
}

func (p *Progress) printLine() {
	if p.total > 0 {
		fmt.Fprintf(p.w, "%s: %d/%d (%d%%)\n", p.desc, p.current, p.total, p.current*100/p.total)
		return
	}
	fmt.Fprintf(p.w, "%s: %d\n", p.desc, p.current)
}

// Done ends the report: the bar is cleared, or a final plain line printed.
// Further calls are no-ops.
func (p *Progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.bar != nil {
		_ = p.bar.Finish()
		return
	}
	p.printLine()
}
