package blockedrecv

import (
	_ "embed"
	"fmt"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"

	"github.com/gocli/gocli/lint/internal/chanflow"
)

//go:embed doc.go
var doc string

// Analyzer reports receives that can never complete.
var Analyzer = &analysis.Analyzer{
	Name:     "blockedrecv",
	Doc:      chanflow.ExtractDoc(doc, "blockedrecv"),
	URL:      "https://github.com/gocli/gocli/blob/main/docs/lint.md#blockedrecv",
	Run:      run,
	Requires: []*analysis.Analyzer{chanflow.Analyzer},
}

func run(pass *analysis.Pass) (any, error) {
	m := pass.ResultOf[chanflow.Analyzer].(*chanflow.Model)
	reported := map[token.Pos]bool{}
	report := func(pos token.Pos, fn *ssa.Function, format string, args ...any) {
		if reported[pos] {
			return
		}
		reported[pos] = true
		msg := fmt.Sprintf(format, args...)
		if spawns := m.SpawnsRunning(fn); len(spawns) > 0 {
			msg = fmt.Sprintf("goroutine started at %s leaks: %s", chanflow.Where(pass.Fset, spawns[0].Pos()), msg)
		}
		pass.Report(analysis.Diagnostic{Pos: pos, Category: "goroutine-leak", Message: msg})
	}
	for _, c := range m.Chans {
		if c.Escaped {
			continue
		}
		name := c.Name()
		closes := c.LiveOps(m, chanflow.OpClose)
		senders := c.LiveOps(m, chanflow.OpSend, chanflow.OpSelectSend)
		for _, r := range c.OpsOf(chanflow.OpRecv) {
			switch {
			case r.CommaOk && chanflow.InLoop(r.Instr.Block()) && len(closes) == 0:
				report(r.Pos(), r.Fn, "range over %s never ends: nothing closes %s (made at %s)",
					name, name, chanflow.Where(pass.Fset, c.Make.Pos()))
			case len(closes) == 0 && len(senders) == 0:
				report(r.Pos(), r.Fn, "receive from %s blocks forever: nothing sends on or closes %s (made at %s)",
					name, name, chanflow.Where(pass.Fset, c.Make.Pos()))
			default:
				if s, exit, ok := skippingSender(m, c, r); ok {
					report(r.Pos(), r.Fn, "receive from %s can block forever: the goroutine started at %s can return at %s without sending on or closing %s",
						name, chanflow.Where(pass.Fset, s.Pos()), chanflow.Where(pass.Fset, exit.Pos()), name)
				}
			}
		}
	}
	// A blocking select whose every case waits on a channel nobody sends on
	// or closes; operations on nil channels; select {} in a goroutine.
	for _, fn := range m.Funcs {
		inGoroutine := len(m.SpawnsRunning(fn)) > 0
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				switch x := instr.(type) {
				case *ssa.Select:
					switch {
					case x.Blocking && len(x.States) == 0 && inGoroutine:
						report(x.Pos(), fn, "select {} blocks forever")
					case x.Blocking && len(x.States) > 0 && deadSelect(m, x):
						report(x.Pos(), fn, "select blocks forever: none of its channels is ever sent on, received from or closed")
					}
				case *ssa.UnOp:
					if x.Op == token.ARROW && isNil(x.X) {
						report(x.Pos(), fn, "receive from a nil channel blocks forever")
					}
				case *ssa.Send:
					if isNil(x.Chan) {
						report(x.Pos(), fn, "send on a nil channel blocks forever")
					}
				}
			}
		}
	}
	return nil, nil
}

func isNil(v ssa.Value) bool {
	k, ok := v.(*ssa.Const)
	return ok && k.IsNil()
}

// deadSelect reports whether no case of sel can ever proceed: each receive
// is on a channel nobody sends on or closes, each send on a channel nobody
// receives from (or a nil channel).
func deadSelect(m *chanflow.Model, sel *ssa.Select) bool {
	for _, st := range sel.States {
		if !m.NeverReady(st.Chan, st.Dir == types.RecvOnly) {
			return false
		}
	}
	return true
}

// skippingSender finds the single goroutine that sends on or closes c and
// a path through it that does neither.
func skippingSender(m *chanflow.Model, c *chanflow.Chan, r chanflow.Op) (*chanflow.Spawn, ssa.Instruction, bool) {
	if r.CommaOk && chanflow.InLoop(r.Instr.Block()) {
		return nil, nil, false
	}
	writers := c.LiveOps(m, chanflow.OpSend, chanflow.OpSelectSend, chanflow.OpClose)
	var spawn *chanflow.Spawn
	for _, s := range m.Spawns {
		runsAll, runsAny := true, false
		for _, w := range writers {
			if m.Runs(s, w.Fn) {
				runsAny = true
			} else {
				runsAll = false
			}
		}
		if !runsAny {
			continue
		}
		if !runsAll || spawn != nil {
			return nil, nil, false
		}
		spawn = s
	}
	if spawn == nil || spawn.InLoop || len(spawn.Targets) != 1 || m.Runs(spawn, r.Fn) {
		return nil, nil, false
	}
	// The receiver must be the goroutine that started the sender, so the
	// sender is the only one that can release it.
	if !m.SyncReach(spawn.Parent)[r.Fn] {
		return nil, nil, false
	}
	writerFns := map[*ssa.Function]bool{}
	for _, w := range writers {
		writerFns[w.Fn] = true
	}
	t := spawn.Targets[0]
	reaches := func(fn *ssa.Function) bool {
		for w := range writerFns {
			if m.SyncReach(fn)[w] {
				return true
			}
		}
		return false
	}
	writes := map[ssa.Instruction]bool{}
	for _, w := range writers {
		writes[w.Instr] = true
	}
	event := func(instr ssa.Instruction) bool {
		if writes[instr] {
			return true
		}
		if ci, ok := instr.(ssa.CallInstruction); ok {
			if _, isGo := instr.(*ssa.Go); isGo {
				return false
			}
			cc := ci.Common()
			if cc.IsInvoke() {
				return false
			}
			switch v := cc.Value.(type) {
			case *ssa.Function:
				return m.InPkg(v) && reaches(v)
			case *ssa.MakeClosure:
				return reaches(v.Fn.(*ssa.Function))
			}
		}
		return false
	}
	if len(t.Blocks) == 0 {
		return nil, nil, false
	}
	// A panic is not a quiet return: only returns count.
	exit, ok := chanflow.Walk{Event: event}.FindExit(t.Blocks[0], 0)
	if !ok {
		return nil, nil, false
	}
	return spawn, exit, true
}
