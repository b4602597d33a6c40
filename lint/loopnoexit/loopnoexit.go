package loopnoexit

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"

	"github.com/gocli/gocli/lint/internal/chanflow"
)

//go:embed doc.go
var doc string

// Analyzer reports goroutine loops that block on channels and never exit.
var Analyzer = &analysis.Analyzer{
	Name:     "loopnoexit",
	Doc:      chanflow.ExtractDoc(doc, "loopnoexit"),
	URL:      "https://github.com/gocli/gocli/blob/main/docs/lint.md#loopnoexit",
	Run:      run,
	Requires: []*analysis.Analyzer{chanflow.Analyzer},
}

func run(pass *analysis.Pass) (any, error) {
	m := pass.ResultOf[chanflow.Analyzer].(*chanflow.Model)
	reported := map[token.Pos]bool{}
	for _, s := range m.Spawns {
		for _, t := range s.Targets {
			for fn := range m.SyncReach(t) {
				checkFunc(pass, m, s, fn, reported)
			}
		}
	}
	return nil, nil
}

func checkFunc(pass *analysis.Pass, m *chanflow.Model, s *chanflow.Spawn, fn *ssa.Function, reported map[token.Pos]bool) {
	done := map[*ssa.BasicBlock]bool{}
	for _, b := range fn.Blocks {
		if done[b] {
			continue
		}
		op := blockingOp(b)
		if op == nil || !chanflow.InLoop(b) {
			continue
		}
		scc := chanflow.SCC(b)
		for x := range scc {
			done[x] = true
		}
		exits, deadCase := hasExit(m, scc)
		if exits {
			continue
		}
		why := "has no return, break, ctx.Done or closed-channel path out"
		if deadCase {
			why = "can only leave through a select case on a channel that nothing reachable sends on or closes"
		}
		pos, loopKind := loopPos(pass.Files, op.Pos())
		if !pos.IsValid() {
			pos = op.Pos()
		}
		if reported[pos] {
			continue
		}
		reported[pos] = true
		pass.Report(analysis.Diagnostic{
			Pos:      pos,
			Category: "goroutine-leak",
			Message: fmt.Sprintf("goroutine started at %s never exits: this %s %s, so it blocks forever at %s once the work stops",
				chanflow.Where(pass.Fset, s.Pos()), loopKind, why, chanflow.Where(pass.Fset, op.Pos())),
			Related: []analysis.RelatedInformation{{Pos: s.Pos(), Message: "goroutine started here"}},
		})
	}
}

// blockingOp returns the first instruction in b that can block on a channel.
func blockingOp(b *ssa.BasicBlock) ssa.Instruction {
	for _, instr := range b.Instrs {
		switch x := instr.(type) {
		case *ssa.UnOp:
			if x.Op == token.ARROW {
				return x
			}
		case *ssa.Select:
			if x.Blocking {
				return x
			}
		case *ssa.Send:
			return x
		}
	}
	return nil
}

// hasExit reports whether control can leave the loop. An exit taken only when
// a never-closed channel reports closed does not count.
func hasExit(m *chanflow.Model, scc map[*ssa.BasicBlock]bool) (bool, bool) {
	// Select cases that can never fire do not lead out of the loop.
	dead := map[chanflow.Edge]bool{}
	for b := range scc {
		for _, instr := range b.Instrs {
			sel, ok := instr.(*ssa.Select)
			if !ok {
				continue
			}
			for i, st := range sel.States {
				if m.NeverReady(st.Chan, st.Dir == types.RecvOnly) {
					if e, ok := chanflow.SelectCaseEdge(sel, i); ok {
						dead[e] = true
					}
				}
			}
		}
	}
	for b := range scc {
		for _, s := range b.Succs {
			if scc[s] {
				continue
			}
			if dead[chanflow.Edge{From: b, To: s}] || closedExit(m, b, s) || panics(s) {
				continue
			}
			if !returnsFrom(s, scc, dead) {
				continue
			}
			return true, false
		}
		// a call that never returns (os.Exit, log.Fatal, runtime.Goexit)
		// also ends the goroutine
		for _, instr := range b.Instrs {
			if c, ok := instr.(*ssa.Call); ok {
				if fn := c.Call.StaticCallee(); fn != nil && fn.Pkg != nil && fn.Pkg.Pkg.Path() == "runtime" && fn.Name() == "Goexit" {
					return true, false
				}
			}
		}
	}
	return false, len(dead) > 0
}

// closedExit reports whether the edge b→s is the "channel closed" exit of a
// comma-ok receive on a channel that is never closed.
func closedExit(m *chanflow.Model, b, s *ssa.BasicBlock) bool {
	iff, ok := b.Instrs[len(b.Instrs)-1].(*ssa.If)
	if !ok || len(b.Succs) != 2 || b.Succs[1] != s {
		return false
	}
	ex, ok := iff.Cond.(*ssa.Extract)
	if !ok || ex.Index != 1 {
		return false
	}
	recv, ok := ex.Tuple.(*ssa.UnOp)
	if !ok || recv.Op != token.ARROW || !recv.CommaOk {
		return false
	}
	return m.NeverClosed(recv.X)
}

// loopPos finds the innermost for or range statement around pos.
func loopPos(files []*ast.File, pos token.Pos) (token.Pos, string) {
	for _, n := range chanflow.EnclosingPath(files, pos) {
		switch x := n.(type) {
		case *ast.ForStmt:
			if x.Cond == nil {
				return x.For, "for loop"
			}
			return x.For, "for loop"
		case *ast.RangeStmt:
			return x.For, "range loop"
		case *ast.FuncLit, *ast.FuncDecl:
			return token.NoPos, "loop"
		}
	}
	return token.NoPos, "loop"
}

// panics reports whether every path from b ends in a panic (including the
// "blocking select matched no case" block the SSA builder adds): crashing
// the program is not a way for a goroutine to end quietly.
func panics(b *ssa.BasicBlock) bool {
	seen := map[*ssa.BasicBlock]bool{}
	var walk func(*ssa.BasicBlock) bool
	walk = func(x *ssa.BasicBlock) bool {
		if seen[x] {
			return true
		}
		seen[x] = true
		if _, ok := x.Instrs[len(x.Instrs)-1].(*ssa.Panic); ok {
			return true
		}
		if len(x.Succs) == 0 {
			return false
		}
		for _, s := range x.Succs {
			if !walk(s) {
				return false
			}
		}
		return true
	}
	return walk(b)
}

// returnsFrom reports whether some path from b reaches a return without
// re-entering the loop or taking a select case that can never fire.
func returnsFrom(b *ssa.BasicBlock, scc map[*ssa.BasicBlock]bool, dead map[chanflow.Edge]bool) bool {
	seen := map[*ssa.BasicBlock]bool{b: true}
	stack := []*ssa.BasicBlock{b}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if len(x.Succs) == 0 {
			if _, ok := x.Instrs[len(x.Instrs)-1].(*ssa.Return); ok {
				return true
			}
		}
		for _, y := range x.Succs {
			if scc[y] || seen[y] || dead[chanflow.Edge{From: x, To: y}] {
				continue
			}
			seen[y] = true
			stack = append(stack, y)
		}
	}
	return false
}
