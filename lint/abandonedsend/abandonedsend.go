package abandonedsend

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"

	"github.com/gocli/gocli/lint/internal/chanflow"
)

//go:embed doc.go
var doc string

// Analyzer reports goroutines whose send can be abandoned by the receiver.
var Analyzer = &analysis.Analyzer{
	Name:     "abandonedsend",
	Doc:      chanflow.ExtractDoc(doc, "abandonedsend"),
	URL:      "https://github.com/gocli/gocli/blob/main/docs/lint.md#abandonedsend",
	Run:      run,
	Requires: []*analysis.Analyzer{chanflow.Analyzer},
}

func run(pass *analysis.Pass) (any, error) {
	m := pass.ResultOf[chanflow.Analyzer].(*chanflow.Model)
	reported := map[token.Pos]bool{}
	pass = wrapReport(pass, reported)
	for _, c := range m.Chans {
		if c.Escaped || c.Size < 0 {
			continue
		}
		for _, s := range m.Spawns {
			// A go statement in a loop starts many senders, unless each
			// iteration makes its own channel.
			if s.InLoop && (c.Parent != s.Parent || !chanflow.SCC(s.Go.Block())[c.Make.Block()]) {
				continue
			}
			check(pass, m, c, s)
		}
	}
	for _, c := range m.Chans {
		noReceiver(pass, m, c)
		stoppedReceiver(pass, m, c)
	}
	return nil, nil
}

// check reports when goroutine s sends on c and the function that started s
// can return without receiving.
func check(pass *analysis.Pass, m *chanflow.Model, c *chanflow.Chan, s *chanflow.Spawn) {
	var sends []chanflow.Op
	for _, o := range c.OpsOf(chanflow.OpSend) {
		if m.Runs(s, o.Fn) {
			sends = append(sends, o)
		}
	}
	if len(sends) == 0 {
		return
	}
	// The goroutine's sends fit in the buffer: nothing blocks.
	maxSends := sendsPerRun(m, s, c)
	if c.Size > 0 && maxSends >= 0 && maxSends <= c.Size {
		return
	}
	if maxSends == 0 {
		return
	}
	// Everyone who receives must run on the spawning goroutine, else another
	// goroutine may drain the channel.
	P := s.Parent
	local := m.SyncReach(P)
	recvs := c.LiveOps(m, chanflow.OpRecv, chanflow.OpSelectRecv)
	for _, r := range recvs {
		if !local[r.Fn] || m.Runs(s, r.Fn) {
			return
		}
	}
	// A deferred receive runs at every exit.
	reachesRecv := func(fn *ssa.Function) bool {
		for _, r := range recvs {
			if m.SyncReach(fn)[r.Fn] {
				return true
			}
		}
		return false
	}
	cuts := map[chanflow.Edge]bool{}
	var selects []*ssa.Select
	for _, r := range recvs {
		if r.Fn != P || r.Kind != chanflow.OpSelectRecv {
			continue
		}
		sel := r.Instr.(*ssa.Select)
		if e, ok := chanflow.SelectCaseEdge(sel, r.Index); ok {
			cuts[e] = true
			selects = append(selects, sel)
		} else {
			return // cannot tell which way the select goes
		}
	}
	event := func(instr ssa.Instruction) bool {
		switch x := instr.(type) {
		case *ssa.UnOp:
			return x.Op == token.ARROW && c.Values[x.X]
		case *ssa.Select:
			all := len(x.States) > 0 && x.Blocking
			for _, st := range x.States {
				all = all && c.Values[st.Chan] && st.Dir == types.RecvOnly
			}
			return all
		case *ssa.Call:
			for _, t := range targets(x.Common()) {
				if m.InPkg(t) && reachesRecv(t) {
					return true
				}
			}
		case *ssa.Defer:
			for _, t := range targets(x.Common()) {
				if m.InPkg(t) && reachesRecv(t) {
					return true
				}
			}
		}
		return false
	}
	exit, ok := chanflow.Walk{
		Event: event,
		Cut:   func(e chanflow.Edge) bool { return cuts[e] },
	}.FindExit(s.Go.Block(), chanflow.IndexOf(s.Go)+1)
	earlyRange := false
	if !ok && (maxSends < 0 || maxSends > c.Size+1) {
		// A range over the channel that can return from its body after
		// taking only some of the values.
		for _, r := range recvs {
			if r.Fn != P {
				continue
			}
			if body, isRange := rangeBody(r); isRange {
				if exit, ok = (chanflow.Walk{Event: event, Cut: func(e chanflow.Edge) bool { return cuts[e] }}).FindExit(body, 0); ok {
					earlyRange = true
					break
				}
			}
		}
	}
	if !ok {
		waitBeforeReceive(pass, m, c, s, sends, event, cuts)
		return
	}
	name := c.Name()
	kind := "unbuffered channel"
	if c.Size > 0 {
		kind = "channel (buffer " + strconv.Itoa(c.Size) + ")"
	}
	why := "nothing receives from it"
	if len(recvs) > 0 {
		why = fmt.Sprintf("%s can return at %s without receiving", P.Name(), chanflow.Where(pass.Fset, exitPos(exit, P)))
		if len(selects) > 0 {
			why += fmt.Sprintf(" (the select at %s can take another case)", chanflow.Where(pass.Fset, selects[0].Pos()))
		}
		if earlyRange {
			why = fmt.Sprintf("%s can return at %s from inside its range over %s, leaving values the goroutine still sends", P.Name(), chanflow.Where(pass.Fset, exitPos(exit, P)), name)
		}
	}
	for _, snd := range sends {
		d := analysis.Diagnostic{
			Pos:      snd.Pos(),
			Category: "goroutine-leak",
			Message: fmt.Sprintf("goroutine started at %s can block forever sending on %s: %s",
				chanflow.Where(pass.Fset, s.Pos()), chanDesc(kind, name), why),
			Related: []analysis.RelatedInformation{
				{Pos: s.Pos(), Message: "goroutine started here"},
				{Pos: exitPos(exit, P), Message: "receiver returns here without receiving"},
			},
		}
		if fix, ok := bufferFix(pass, c, maxSends); ok {
			d.SuggestedFixes = []analysis.SuggestedFix{fix}
		}
		pass.Report(d)
	}
}

// sendsPerRun is the largest number of sends on c that one run of the
// goroutine makes, counting sends in the package functions it calls, or -1
// when unbounded or unknown.
func sendsPerRun(m *chanflow.Model, s *chanflow.Spawn, c *chanflow.Chan) int {
	if len(s.Targets) != 1 {
		return -1
	}
	sendFns := map[*ssa.Function]bool{}
	for _, o := range c.OpsOf(chanflow.OpSend) {
		sendFns[o.Fn] = true
	}
	reachesSend := func(fn *ssa.Function) bool {
		for f := range m.SyncReach(fn) {
			if sendFns[f] {
				return true
			}
		}
		return false
	}
	memo := map[*ssa.Function]int{}
	var sendsIn func(fn *ssa.Function, depth int) int
	sendsIn = func(fn *ssa.Function, depth int) int {
		if v, ok := memo[fn]; ok {
			return v
		}
		if depth > 6 {
			return -1
		}
		memo[fn] = -1 // recursion: unbounded
		v := chanflow.MaxWeightOnPath(fn, func(instr ssa.Instruction) int {
			switch x := instr.(type) {
			case *ssa.Send:
				if c.Values[x.Chan] {
					return 1
				}
			case *ssa.Call, *ssa.Defer:
				total := 0
				for _, t := range targets(x.(ssa.CallInstruction).Common()) {
					if !m.InPkg(t) || !reachesSend(t) {
						continue
					}
					w := sendsIn(t, depth+1)
					if w < 0 {
						return -1
					}
					total = max(total, w)
				}
				return total
			}
			return 0
		})
		memo[fn] = v
		return v
	}
	return sendsIn(s.Targets[0], 0)
}

func targets(c *ssa.CallCommon) []*ssa.Function {
	if c.IsInvoke() {
		return nil
	}
	switch v := c.Value.(type) {
	case *ssa.Function:
		return []*ssa.Function{v}
	case *ssa.MakeClosure:
		if fn, ok := v.Fn.(*ssa.Function); ok {
			return []*ssa.Function{fn}
		}
	}
	return nil
}

func exitPos(exit ssa.Instruction, fn *ssa.Function) token.Pos {
	if exit != nil && exit.Pos().IsValid() {
		return exit.Pos()
	}
	if syn, ok := fn.Syntax().(*ast.FuncDecl); ok && syn.Body != nil {
		return syn.Body.Rbrace
	}
	if lit, ok := fn.Syntax().(*ast.FuncLit); ok {
		return lit.Body.Rbrace
	}
	return fn.Pos()
}

// bufferFix buffers the channel to n values, when n is known.
func bufferFix(pass *analysis.Pass, c *chanflow.Chan, n int) (analysis.SuggestedFix, bool) {
	if n <= 0 {
		return analysis.SuggestedFix{}, false
	}
	call := chanflow.FindCall(pass.Files, c.Make.Pos())
	if call == nil || len(call.Args) == 0 || call.Ellipsis.IsValid() {
		return analysis.SuggestedFix{}, false
	}
	size := strconv.Itoa(n)
	var edit analysis.TextEdit
	switch len(call.Args) {
	case 1:
		edit = analysis.TextEdit{Pos: call.Args[0].End(), End: call.Args[0].End(), NewText: []byte(", " + size)}
	case 2:
		edit = analysis.TextEdit{Pos: call.Args[1].Pos(), End: call.Args[1].End(), NewText: []byte(size)}
	default:
		return analysis.SuggestedFix{}, false
	}
	return analysis.SuggestedFix{
		Message:   "buffer the channel so the send completes without a receiver",
		TextEdits: []analysis.TextEdit{edit},
	}, true
}

// wrapReport drops a second diagnostic at the same position.
func wrapReport(pass *analysis.Pass, reported map[token.Pos]bool) *analysis.Pass {
	p := *pass
	report := pass.Report
	p.Report = func(d analysis.Diagnostic) {
		if reported[d.Pos] {
			return
		}
		reported[d.Pos] = true
		report(d)
	}
	return &p
}

// noReceiver reports sends on a channel that no reachable code receives
// from, whatever goroutine sends.
func noReceiver(pass *analysis.Pass, m *chanflow.Model, c *chanflow.Chan) {
	if c.Escaped || c.Size > 0 || len(c.LiveOps(m, chanflow.OpRecv, chanflow.OpSelectRecv)) > 0 {
		return
	}
	kind := "unbuffered channel"
	if c.Size < 0 {
		kind = "channel"
	}
	for _, o := range c.LiveOps(m, chanflow.OpSend) {
		msg := fmt.Sprintf("send on %s %s blocks forever: nothing receives from %s (made at %s)",
			kind, c.Name(), c.Name(), chanflow.Where(pass.Fset, c.Make.Pos()))
		if c.Size < 0 {
			msg = fmt.Sprintf("send on %s %s blocks once its buffer is full: nothing receives from %s (made at %s)",
				kind, c.Name(), c.Name(), chanflow.Where(pass.Fset, c.Make.Pos()))
		}
		if spawns := m.SpawnsRunning(o.Fn); len(spawns) > 0 {
			msg = fmt.Sprintf("goroutine started at %s leaks: %s", chanflow.Where(pass.Fset, spawns[0].Pos()), msg)
		}
		pass.Report(analysis.Diagnostic{Pos: o.Pos(), Category: "goroutine-leak", Message: msg})
	}
}

// waitBeforeReceive reports a spawner that waits on a WaitGroup before it
// receives, when the goroutine sends before calling Done: each waits for
// the other.
func waitBeforeReceive(pass *analysis.Pass, m *chanflow.Model, c *chanflow.Chan, s *chanflow.Spawn, sends []chanflow.Op, event func(ssa.Instruction) bool, cuts map[chanflow.Edge]bool) {
	if c.Size != 0 || !callsDone(m, s) {
		return
	}
	wait, ok := chanflow.Walk{
		Event: event,
		Cut:   func(e chanflow.Edge) bool { return cuts[e] },
		Exit:  isWaitGroupWait,
	}.FindExit(s.Go.Block(), chanflow.IndexOf(s.Go)+1)
	if !ok {
		return
	}
	for _, snd := range sends {
		pass.Report(analysis.Diagnostic{
			Pos:      snd.Pos(),
			Category: "goroutine-leak",
			Message: fmt.Sprintf("goroutine started at %s blocks forever sending on unbuffered channel %s: %s waits on the WaitGroup at %s before receiving, and the goroutine calls Done only after its send",
				chanflow.Where(pass.Fset, s.Pos()), c.Name(), s.Parent.Name(), chanflow.Where(pass.Fset, wait.Pos())),
			Related: []analysis.RelatedInformation{
				{Pos: s.Pos(), Message: "goroutine started here"},
				{Pos: wait.Pos(), Message: "waits here before receiving"},
			},
		})
	}
}

func isWaitGroupWait(instr ssa.Instruction) bool {
	call, ok := instr.(*ssa.Call)
	if !ok {
		return false
	}
	fn := call.Call.StaticCallee()
	return fn != nil && fn.Name() == "Wait" && fn.Signature.Recv() != nil &&
		types.TypeString(fn.Signature.Recv().Type(), nil) == "*sync.WaitGroup"
}

// callsDone reports whether the goroutine calls WaitGroup.Done.
func callsDone(m *chanflow.Model, s *chanflow.Spawn) bool {
	for _, t := range s.Targets {
		for fn := range m.SyncReach(t) {
			for _, b := range fn.Blocks {
				for _, instr := range b.Instrs {
					ci, ok := instr.(ssa.CallInstruction)
					if !ok {
						continue
					}
					f := ci.Common().StaticCallee()
					if f != nil && f.Name() == "Done" && f.Signature.Recv() != nil &&
						types.TypeString(f.Signature.Recv().Type(), nil) == "*sync.WaitGroup" {
						return true
					}
				}
			}
		}
	}
	return false
}

// chanDesc reads "unbuffered channel ch" or "channel ch (buffer 1)".
func chanDesc(kind, name string) string {
	if rest, ok := strings.CutPrefix(kind, "channel "); ok {
		return "channel " + name + " " + rest
	}
	return kind + " " + name
}

// rangeBody returns the first block of the loop body when r is the receive
// of a range over a channel (v, ok := <-ch; if ok { body }).
func rangeBody(r chanflow.Op) (*ssa.BasicBlock, bool) {
	u, ok := r.Instr.(*ssa.UnOp)
	if !ok || !u.CommaOk {
		return nil, false
	}
	for _, ref := range *u.Referrers() {
		ex, ok := ref.(*ssa.Extract)
		if !ok || ex.Index != 1 {
			continue
		}
		for _, ref2 := range *ex.Referrers() {
			if iff, ok := ref2.(*ssa.If); ok && iff.Cond == ex {
				return iff.Block().Succs[0], true
			}
		}
	}
	return nil, false
}
