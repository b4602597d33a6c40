package abandonedsend

import (
	"fmt"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"

	"github.com/gocli/gocli/lint/internal/chanflow"
)

// stoppedReceiver reports plain sends on an unbuffered channel whose every
// receiver is a select that can take another case and return (a service
// loop that stops on ctx.Done or a quit channel): once the receiver has
// returned, the send has no way out and blocks forever.
//
//	func (n *node) Status() Status {
//		c := make(chan Status)
//		n.status <- c // blocks forever once run has returned
//		return <-c
//	}
//	func (n *node) run() {
//		for {
//			select {
//			case c := <-n.status:
//				c <- n.status()
//			case <-n.stop:
//				return
//			}
//		}
//	}
func stoppedReceiver(pass *analysis.Pass, m *chanflow.Model, c *chanflow.Chan) {
	if c.Escaped || c.Size != 0 {
		return
	}
	recvs := c.LiveOps(m, chanflow.OpRecv, chanflow.OpSelectRecv)
	if len(recvs) == 0 {
		return
	}
	type exit struct {
		recv chanflow.Op
		ret  ssa.Instruction
		stop token.Pos // the case that leads to the return
		ch   ssa.Value
	}
	var exits []exit
	for _, r := range recvs {
		if r.Kind != chanflow.OpSelectRecv {
			return // a plain receive (or range) has no other way out
		}
		sel := r.Instr.(*ssa.Select)
		if !sel.Blocking {
			return
		}
		found := false
		for j, st := range sel.States {
			if j == r.Index || st.Dir != types.RecvOnly || holds(m, st.Chan, c) {
				continue
			}
			e, ok := chanflow.SelectCaseEdge(sel, j)
			if !ok {
				continue
			}
			ret, ok := chanflow.Walk{
				Event: func(instr ssa.Instruction) bool { return usesChan(m, instr, c) },
			}.FindExit(e.To, 0)
			if ok {
				exits = append(exits, exit{r, ret, st.Pos, st.Chan})
				found = true
				break
			}
		}
		if !found {
			return
		}
	}
	for _, s := range c.LiveOps(m, chanflow.OpSend) {
		if stoppedBySender(m, s, exits[0].ch) {
			continue
		}
		same := false
		for _, e := range exits {
			same = same || m.SyncReach(e.recv.Fn)[s.Fn] || m.SyncReach(s.Fn)[e.recv.Fn]
		}
		if same {
			continue
		}
		e := exits[0]
		msg := fmt.Sprintf("send on unbuffered channel %s blocks forever once its receiver %s has returned at %s (the select at %s can take another case): this send has no way out",
			c.Name(), e.recv.Fn.Name(), chanflow.Where(pass.Fset, exitPos(e.ret, e.recv.Fn)), chanflow.Where(pass.Fset, e.recv.Pos()))
		if spawns := m.SpawnsRunning(s.Fn); len(spawns) > 0 {
			msg = fmt.Sprintf("goroutine started at %s leaks: %s", chanflow.Where(pass.Fset, spawns[0].Pos()), msg)
		}
		pass.Report(analysis.Diagnostic{
			Pos: s.Pos(), Category: "goroutine-leak", Message: msg,
			Related: []analysis.RelatedInformation{
				{Pos: e.recv.Pos(), Message: "the receiver"},
				{Pos: exitPos(e.ret, e.recv.Fn), Message: "the receiver returns here"},
			},
		})
	}
}

// holds reports whether v may hold channel c.
func holds(m *chanflow.Model, v ssa.Value, c *chanflow.Chan) bool {
	for _, x := range m.ChansOf(v) {
		if x == c {
			return true
		}
	}
	return false
}

// usesChan reports whether instr operates on channel c.
func usesChan(m *chanflow.Model, instr ssa.Instruction, c *chanflow.Chan) bool {
	for _, o := range c.Ops {
		if o.Instr == instr {
			return true
		}
	}
	return false
}

// stoppedBySender reports whether the stop signal is a channel that only
// the sending function sends on or closes: it then stops the receiver
// itself, after its own sends.
func stoppedBySender(m *chanflow.Model, send chanflow.Op, stop ssa.Value) bool {
	cs := m.ChansOf(stop)
	if len(cs) == 0 {
		return false
	}
	for _, sc := range cs {
		ops := sc.LiveOps(m, chanflow.OpSend, chanflow.OpSelectSend, chanflow.OpClose)
		if sc.Escaped || len(ops) == 0 {
			return false
		}
		for _, o := range ops {
			if o.Fn != send.Fn {
				return false
			}
		}
	}
	return true
}
