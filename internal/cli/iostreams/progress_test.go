package iostreams

import (
	"strings"
	"testing"
	"time"
)

func TestProgressPlainLines(t *testing.T) {
	s, _, _, errOut := Test()
	p := s.StartProgress("uploading", 10, ProgressOptions{Interval: time.Minute})
	clock := time.Unix(0, 0)
	p.now = func() time.Time { return clock }
	p.last = clock

	p.Add(3) // within the interval: nothing printed
	if errOut.Len() != 0 {
		t.Fatalf("printed before the interval elapsed: %q", errOut.String())
	}
	clock = clock.Add(time.Minute)
	p.Add(2)
	p.Done()
	p.Done()

	want := "uploading: 5/10 (50%)\nuploading: 5/10 (50%)\n"
	if got := errOut.String(); got != want {
		t.Fatalf("plain progress = %q, want %q", got, want)
	}
}

func TestProgressUnknownTotal(t *testing.T) {
	s, _, _, errOut := Test()
	p := s.StartProgress("scanning", -1, ProgressOptions{})
	p.Set(42)
	p.Done()
	if got := errOut.String(); got != "scanning: 42\n" {
		t.Fatalf("got %q", got)
	}
}

func TestProgressBarOnTerminal(t *testing.T) {
	s, _, _, errOut := Test()
	s.SetStderrTTY(true)
	p := s.StartProgress("building", 4, ProgressOptions{})
	for range 4 {
		p.Add(1)
	}
	p.Done()
	if !strings.Contains(errOut.String(), "building") {
		t.Fatalf("bar output lacks its description: %q", errOut.String())
	}
}

func TestColorSchemeDisabled(t *testing.T) {
	s, _, _, _ := Test()
	if got := s.ColorScheme().Red("x"); got != "x" {
		t.Fatalf("colour disabled but got %q", got)
	}
	s.SetColorEnabled(true)
	if got := s.ColorScheme().Red("x"); got != "\x1b[31mx\x1b[0m" {
		t.Fatalf("colour enabled but got %q", got)
	}
}
