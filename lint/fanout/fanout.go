package fanout

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

// Analyzer reports fan-out where fewer values are received than sent.
var Analyzer = &analysis.Analyzer{
	Name:     "fanout",
	Doc:      chanflow.ExtractDoc(doc, "fanout"),
	URL:      "https://github.com/gocli/gocli/blob/main/docs/lint.md#fanout",
	Run:      run,
	Requires: []*analysis.Analyzer{chanflow.Analyzer},
}

func run(pass *analysis.Pass) (any, error) {
	m := pass.ResultOf[chanflow.Analyzer].(*chanflow.Model)
	for _, c := range m.Chans {
		if c.Escaped || c.Size != 0 {
			continue
		}
		for _, s := range m.Spawns {
			if !s.InLoop || (c.Parent == s.Parent && chanflow.SCC(s.Go.Block())[c.Make.Block()]) {
				continue
			}
			check(pass, m, c, s)
		}
	}
	return nil, nil
}

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
	local := m.SyncReach(s.Parent)
	recvs := c.LiveOps(m, chanflow.OpRecv, chanflow.OpSelectRecv)
	for _, r := range recvs {
		if !local[r.Fn] || m.Runs(s, r.Fn) {
			return // another goroutine receives too
		}
		if r.Kind == chanflow.OpRecv && r.CommaOk && chanflow.InLoop(r.Instr.Block()) {
			return // a range: it drains until close (blockedrecv checks the close)
		}
	}
	var why string
	switch {
	case len(recvs) == 0:
		why = "nothing receives from it"
	default:
		var looped *chanflow.Op
		for i, r := range recvs {
			if chanflow.InLoop(r.Instr.Block()) {
				looped = &recvs[i]
				break
			}
		}
		if looped == nil {
			why = fmt.Sprintf("it is received from only once, at %s", chanflow.Where(pass.Fset, recvs[0].Pos()))
			break
		}
		exit, ok := earlyExit(looped.Instr.Block())
		if !ok {
			return
		}
		why = fmt.Sprintf("the receive loop at %s can stop early (at %s) before every goroutine has sent",
			chanflow.Where(pass.Fset, looped.Pos()), chanflow.Where(pass.Fset, exit))
	}
	for _, snd := range sends {
		d := analysis.Diagnostic{
			Pos:      snd.Pos(),
			Category: "goroutine-leak",
			Message: fmt.Sprintf("goroutines started in a loop at %s send on unbuffered channel %s, but %s: the remaining senders block forever",
				chanflow.Where(pass.Fset, s.Pos()), c.Name(), why),
			Related: []analysis.RelatedInformation{{Pos: s.Pos(), Message: "goroutines started here"}},
		}
		if fix, ok := bufferFix(pass, c, s); ok {
			d.SuggestedFixes = []analysis.SuggestedFix{fix}
		}
		pass.Report(d)
	}
}

// earlyExit reports whether the loop around b has more than one way out,
// and where the extra one goes.
func earlyExit(b *ssa.BasicBlock) (token.Pos, bool) {
	scc := chanflow.SCC(b)
	var exits []*ssa.BasicBlock
	for x := range scc {
		for _, s := range x.Succs {
			if !scc[s] && !panicOnly(s) {
				exits = append(exits, s)
			}
		}
	}
	if len(exits) < 2 {
		return token.NoPos, false
	}
	// Prefer an exit that returns directly: that is the early one.
	for _, e := range exits {
		for _, instr := range e.Instrs {
			if r, ok := instr.(*ssa.Return); ok && r.Pos().IsValid() {
				return r.Pos(), true
			}
		}
	}
	for _, e := range exits {
		for _, instr := range e.Instrs {
			if instr.Pos().IsValid() {
				return instr.Pos(), true
			}
		}
	}
	return b.Parent().Pos(), true
}

func panicOnly(b *ssa.BasicBlock) bool {
	_, ok := b.Instrs[len(b.Instrs)-1].(*ssa.Panic)
	return ok && len(b.Succs) == 0
}

// bufferFix sizes the channel to the loop's iteration count when the loop
// states it (range over a slice, map, string or int; i < n).
func bufferFix(pass *analysis.Pass, c *chanflow.Chan, s *chanflow.Spawn) (analysis.SuggestedFix, bool) {
	call := chanflow.FindCall(pass.Files, c.Make.Pos())
	if call == nil || len(call.Args) != 1 {
		return analysis.SuggestedFix{}, false
	}
	var size ast.Expr
	for _, n := range chanflow.EnclosingPath(pass.Files, s.Pos()) {
		switch x := n.(type) {
		case *ast.RangeStmt:
			t := pass.TypesInfo.TypeOf(x.X)
			if t == nil {
				return analysis.SuggestedFix{}, false
			}
			if b, ok := t.Underlying().(*types.Basic); ok && b.Info()&types.IsInteger != 0 {
				size = x.X
			} else {
				size = &ast.CallExpr{Fun: ast.NewIdent("len"), Args: []ast.Expr{x.X}}
			}
		case *ast.ForStmt:
			if bin, ok := x.Cond.(*ast.BinaryExpr); ok && bin.Op == token.LSS {
				size = bin.Y
			}
		case *ast.FuncLit, *ast.FuncDecl:
		default:
			continue
		}
		break
	}
	if size == nil || !inScope(pass, size, call.Pos()) {
		return analysis.SuggestedFix{}, false
	}
	text := types.ExprString(size)
	return analysis.SuggestedFix{
		Message:   "buffer the channel to the number of goroutines",
		TextEdits: []analysis.TextEdit{{Pos: call.Args[0].End(), End: call.Args[0].End(), NewText: []byte(", " + text)}},
	}, true
}

// inScope reports whether every name in e is declared before pos, and e
// has no calls other than len (so moving it cannot change behaviour).
func inScope(pass *analysis.Pass, e ast.Expr, pos token.Pos) bool {
	ok := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if id, isIdent := x.Fun.(*ast.Ident); !isIdent || id.Name != "len" {
				ok = false
			}
		case *ast.Ident:
			if x.Name == "len" {
				return true
			}
			obj := pass.TypesInfo.Uses[x]
			if obj == nil {
				return true // a field name in a selector
			}
			if obj.Parent() != obj.Pkg().Scope() && obj.Pos() >= pos {
				ok = false
			}
		}
		return ok
	})
	return ok
}
