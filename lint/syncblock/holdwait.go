package syncblock

import (
	"fmt"
	"go/token"
	"sort"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"

	"github.com/gocli/gocli/lint/internal/chanflow"
)

// Hold and wait: a goroutine blocks on a channel while it holds a mutex,
// and every goroutine that could complete the operation (the receivers of
// a send, the senders and closers of a receive) takes that same mutex on
// its way to the operation. The holder waits for the partner, the partner
// waits for the mutex: both block forever.

// plainChanOp returns the channel of a send or receive outside a select.
func plainChanOp(instr ssa.Instruction) (ch ssa.Value, send, ok bool) {
	switch x := instr.(type) {
	case *ssa.Send:
		return x.Chan, true, true
	case *ssa.UnOp:
		if x.Op == token.ARROW {
			return x.X, false, true
		}
	}
	return nil, false, false
}

// holdWaitCall checks the channel operations a call made while lock is held
// runs synchronously, unless the callee releases the lock first.
func (c *checker) holdWaitCall(lock syncOp, call *ssa.Call) {
	g := c.callee(call)
	if g == nil {
		g = c.fieldCallee(call)
	}
	if g == nil {
		return
	}
	s := c.summarize(g, 0)
	for _, r := range c.callRefs(call, s.releases) {
		if matches(lock.ref, r) {
			return
		}
	}
	for _, po := range s.releases {
		if po.typed != "" && po.typed == lock.ref.typeKey() {
			return
		}
	}
	var fns []*ssa.Function
	for fn := range c.m.SyncReach(g) {
		fns = append(fns, fn)
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].Pos() < fns[j].Pos() })
	for _, fn := range fns {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				c.holdWait(lock, instr)
			}
		}
	}
}

// holdWait reports instr when it is a channel operation that blocks while
// lock is held and whose every partner must take the lock first.
func (c *checker) holdWait(lock syncOp, instr ssa.Instruction) {
	v, send, ok := plainChanOp(instr)
	if !ok || c.seen[instr.Pos()] {
		return
	}
	chans := c.m.ChansOf(v)
	if len(chans) == 0 {
		return
	}
	kinds := []chanflow.OpKind{chanflow.OpSend, chanflow.OpSelectSend, chanflow.OpClose}
	if send {
		kinds = []chanflow.OpKind{chanflow.OpRecv, chanflow.OpSelectRecv}
	}
	buffered := false
	var partners []chanflow.Op
	for _, ch := range chans {
		if ch.Escaped || ch.Size < 0 {
			return
		}
		if ch.Size > 0 {
			// A send on a buffered channel blocks only once the buffer is
			// full: only a send that can repeat (a method or helper using
			// a channel made elsewhere) can get there.
			if send && sendsFit(ch) {
				return
			}
			buffered = true
		}
		partners = append(partners, ch.LiveOps(c.m, kinds...)...)
	}
	if len(partners) == 0 {
		return // nothing completes it at all: blockedrecv's finding
	}
	// The goroutines the blocked operation runs on: a partner that starts
	// one of them has already passed the acquisitions before its go
	// statement.
	spawns := c.m.SpawnsRunning(instr.Parent())
	var partnerLock token.Pos
	for _, p := range partners {
		if p.Fn == instr.Parent() {
			return
		}
		pos, ok := c.needsLock(p.Fn, partnerPoints(p), lock, spawns, 0)
		if !ok {
			return
		}
		if !partnerLock.IsValid() {
			partnerLock = pos
		}
	}
	what, partner := "receive from", "sender"
	if send {
		what, partner = "send on", "receiver"
	}
	name := chans[0].Name()
	blocks := "blocks"
	if buffered && send {
		blocks = "blocks once the buffer is full"
	}
	fset := c.pass.Fset
	c.report(instr.Pos(), analysis.Diagnostic{
		Message: fmt.Sprintf("%s %s %s while holding %s (locked at %s), but every %s of %s first locks %s (at %s): both goroutines block forever",
			what, name, blocks, lock.ref.name, chanflow.Where(fset, lock.instr.Pos()), partner, name, lock.ref.name, chanflow.Where(fset, partnerLock)),
		Related: []analysis.RelatedInformation{
			{Pos: lock.instr.Pos(), Message: "locked here"},
			{Pos: partners[0].Pos(), Message: "the " + partner + " is here"},
			{Pos: partnerLock, Message: "the " + partner + " locks it here first"},
		},
	})
}

// partnerPoints returns where a partner operation happens: the operation
// itself, or for a deferred one (defer close(ch)) the function's returns.
func partnerPoints(op chanflow.Op) []ssa.Instruction {
	if _, ok := op.Instr.(*ssa.Defer); !ok {
		return []ssa.Instruction{op.Instr}
	}
	var out []ssa.Instruction
	for _, b := range op.Fn.Blocks {
		for _, instr := range b.Instrs {
			if _, ok := instr.(*ssa.Return); ok {
				out = append(out, instr)
			}
		}
	}
	return out
}

// needsLock reports whether a goroutine reaching any of points in fn must
// take lock (in a conflicting mode) on its way there: an acquisition in fn
// that reaches a point, or, failing that, one before every call of fn.
// It returns the position of the acquisition.
func (c *checker) needsLock(fn *ssa.Function, points []ssa.Instruction, lock syncOp, spawns []*chanflow.Spawn, depth int) (token.Pos, bool) {
	if len(points) == 0 {
		return token.NoPos, false
	}
acquire:
	for _, a := range c.acquisitions(fn, lock) {
		for _, s := range spawns {
			if s.Parent == fn && !reaches(s.Go, a) {
				continue acquire
			}
		}
		for _, p := range points {
			if reaches(a, p) {
				return a.Pos(), true
			}
		}
	}
	sites := c.m.Callers(fn)
	if depth >= 3 || len(sites) == 0 {
		return token.NoPos, false
	}
	var first token.Pos
	for _, s := range sites {
		call, ok := s.(*ssa.Call)
		if !ok {
			return token.NoPos, false // a goroutine starts here, or runs deferred
		}
		pos, ok := c.needsLock(call.Parent(), []ssa.Instruction{call}, lock, spawns, depth+1)
		if !ok {
			return token.NoPos, false
		}
		if !first.IsValid() {
			first = pos
		}
	}
	return first, true
}

// acquisitions returns the instructions of fn that take lock in a mode that
// conflicts with how it is held: Lock calls and calls of package functions
// that lock it.
func (c *checker) acquisitions(fn *ssa.Function, lock syncOp) []ssa.Instruction {
	conflicts := func(k opKind) bool {
		return k == opLock || lock.kind == opLock
	}
	var out []ssa.Instruction
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			if _, deferred := instr.(*ssa.Defer); deferred {
				continue
			}
			if op, ok := c.ops[instr]; ok {
				if (op.kind == opLock || op.kind == opRLock) && conflicts(op.kind) && matches(lock.ref, op.ref) {
					out = append(out, instr)
				}
				continue
			}
			call, ok := instr.(*ssa.Call)
			if !ok {
				continue
			}
			g := c.callee(call)
			if g == nil {
				g = c.fieldCallee(call)
			}
			if g == nil {
				continue
			}
			acq := c.summarize(g, 0).acquires
			found := false
			for _, po := range acq {
				if po.typed != "" && po.typed == lock.ref.typeKey() && conflicts(po.kind) {
					found = true
				}
			}
			for _, po := range acq {
				if !conflicts(po.kind) {
					continue
				}
				for _, r := range c.callRefs(call, []paramOp{po}) {
					found = found || matches(lock.ref, r)
				}
			}
			if found {
				out = append(out, instr)
			}
		}
	}
	return out
}

// matches reports whether two lock references may denote the same lock.
func matches(a, b ref) bool {
	if a.same(b) {
		return true
	}
	return a.typeKey() != "" && a.typeKey() == b.typeKey()
}

// reaches reports whether control can flow from instruction a to p (a path
// of at least one step: a reaches itself only around a loop).
func reaches(a, p ssa.Instruction) bool {
	ab, pb := a.Block(), p.Block()
	if ab == pb && chanflow.IndexOf(a) < chanflow.IndexOf(p) {
		return true
	}
	seen := map[*ssa.BasicBlock]bool{}
	stack := append([]*ssa.BasicBlock(nil), ab.Succs...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x == pb {
			return true
		}
		if seen[x] {
			continue
		}
		seen[x] = true
		stack = append(stack, x.Succs...)
	}
	return false
}

// sendsFit reports whether a buffered channel's sends can never fill it:
// they all sit in the function that made it (or its closures), outside
// loops, and number no more than the buffer.
func sendsFit(ch *chanflow.Chan) bool {
	sends := ch.OpsOf(chanflow.OpSend, chanflow.OpSelectSend)
	if len(sends) > ch.Size {
		return false
	}
	for _, o := range sends {
		fn := o.Fn
		for fn != nil && fn != ch.Parent {
			fn = fn.Parent()
		}
		if fn == nil || chanflow.InLoop(o.Instr.Block()) {
			return false
		}
	}
	return true
}
