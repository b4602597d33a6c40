package consensus

import (
	"context"
	"fmt"
	"log/slog"
)

// raftLogger adapts *slog.Logger to raft's Logger. Raft calls Fatal/Panic
// only on broken invariants (a corrupted log state); it expects them not to
// return, so they log and then panic, which the engine cannot recover from.
type raftLogger struct{ l *slog.Logger }

func (r raftLogger) log(level slog.Level, msg string) {
	r.l.Log(context.Background(), level, msg, "component", "raft")
}

// logf formats only when the level is enabled: raft logs from its hot
// paths.
func (r raftLogger) logf(level slog.Level, f string, v ...any) {
	if r.l.Enabled(context.Background(), level) {
		r.log(level, fmt.Sprintf(f, v...))
	}
}

// routineUnstable are raft's notices that an acknowledged append no longer
// matches its unstable log. With asynchronous storage writes they are
// routine: one WAL write covers several Readys, and the acknowledgement of
// the first makes those of the others stale. Logged at Info they cost a
// formatted line and a log-file write per write batch on the leader
// (1.4% of the CPU of a put in BenchmarkPut in sandbox/bench).
var routineUnstable = []string{
	"entry at index %d missing from unstable log; ignoring",
	"entry at index %d matched unstable snapshot; ignoring",
}

func infoLevel(format string) slog.Level {
	for _, f := range routineUnstable {
		if format == f {
			return slog.LevelDebug
		}
	}
	return slog.LevelInfo
}

func (r raftLogger) Debug(v ...any)              { r.log(slog.LevelDebug, fmt.Sprint(v...)) }
func (r raftLogger) Debugf(f string, v ...any)   { r.logf(slog.LevelDebug, f, v...) }
func (r raftLogger) Info(v ...any)               { r.log(slog.LevelInfo, fmt.Sprint(v...)) }
func (r raftLogger) Infof(f string, v ...any)    { r.logf(infoLevel(f), f, v...) }
func (r raftLogger) Warning(v ...any)            { r.log(slog.LevelWarn, fmt.Sprint(v...)) }
func (r raftLogger) Warningf(f string, v ...any) { r.log(slog.LevelWarn, fmt.Sprintf(f, v...)) }
func (r raftLogger) Error(v ...any)              { r.log(slog.LevelError, fmt.Sprint(v...)) }
func (r raftLogger) Errorf(f string, v ...any)   { r.log(slog.LevelError, fmt.Sprintf(f, v...)) }
func (r raftLogger) Fatal(v ...any)              { r.Panic(v...) }
func (r raftLogger) Fatalf(f string, v ...any)   { r.Panicf(f, v...) }
func (r raftLogger) Panic(v ...any)              { s := fmt.Sprint(v...); r.log(slog.LevelError, s); panic(s) }
func (r raftLogger) Panicf(f string, v ...any) {
	s := fmt.Sprintf(f, v...)
	r.log(slog.LevelError, s)
	panic(s)
}

type discardHandler struct{}

func (discardHandler) Enabled(context.Context, slog.Level) bool  { return false }
func (discardHandler) Handle(context.Context, slog.Record) error { return nil }
func (d discardHandler) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discardHandler) WithGroup(string) slog.Handler           { return d }
