package consensus

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestRaftLoggerRoutineNotices checks that raft's routine notices under
// asynchronous storage writes stay out of an Info log while its other
// Info lines stay in.
func TestRaftLoggerRoutineNotices(t *testing.T) {
	var buf bytes.Buffer
	l := raftLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	l.Infof("entry at index %d missing from unstable log; ignoring", 7)
	l.Infof("entry at index %d matched unstable snapshot; ignoring", 8)
	l.Debugf("debug %d", 9)
	l.Infof("%x became leader at term %d", 1, 2)
	out := buf.String()
	if strings.Contains(out, "ignoring") || strings.Contains(out, "debug") {
		t.Fatalf("routine notices logged at Info:\n%s", out)
	}
	if !strings.Contains(out, "1 became leader at term 2") {
		t.Fatalf("Info line missing:\n%s", out)
	}

	buf.Reset()
	l = raftLogger{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	l.Infof("entry at index %d missing from unstable log; ignoring", 7)
	if !strings.Contains(buf.String(), "level=DEBUG") || !strings.Contains(buf.String(), "index 7 missing") {
		t.Fatalf("routine notice at Debug level: %q", buf.String())
	}
}
