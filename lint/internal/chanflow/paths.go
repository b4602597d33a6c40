package chanflow

import (
	"go/ast"
	"go/constant"
	"go/token"
	"path/filepath"
	"strconv"

	"golang.org/x/tools/go/ssa"
)

// Edge is a control-flow edge between two blocks.
type Edge struct{ From, To *ssa.BasicBlock }

// SelectCaseEdge returns the edge taken when the select picks state i, if
// the select's dispatch on the chosen index can be found.
func SelectCaseEdge(sel *ssa.Select, i int) (Edge, bool) {
	refs := sel.Referrers()
	if refs == nil {
		return Edge{}, false
	}
	for _, r := range *refs {
		ex, ok := r.(*ssa.Extract)
		if !ok || ex.Index != 0 {
			continue
		}
		for _, r2 := range *ex.Referrers() {
			bin, ok := r2.(*ssa.BinOp)
			if !ok || bin.Op != token.EQL {
				continue
			}
			k, ok := bin.Y.(*ssa.Const)
			if !ok || k.Value == nil || k.Value.Kind() != constant.Int {
				continue
			}
			if n, _ := constant.Int64Val(k.Value); int(n) != i {
				continue
			}
			for _, r3 := range *bin.Referrers() {
				if iff, ok := r3.(*ssa.If); ok && iff.Cond == bin {
					b := iff.Block()
					return Edge{b, b.Succs[0]}, true
				}
			}
		}
	}
	return Edge{}, false
}

// Walk describes a search for a path to a function exit.
type Walk struct {
	// Event reports instructions that end a path (the awaited operation happens).
	Event func(ssa.Instruction) bool
	// Cut reports edges that the path may not take.
	Cut func(Edge) bool
	// Exit reports whether the instruction ends the function for this search;
	// nil means Return only.
	Exit func(ssa.Instruction) bool
}

// FindExit searches for a path from instruction index idx of block b to an
// exit that passes no event and no cut edge. It returns the exit instruction.
func (w Walk) FindExit(b *ssa.BasicBlock, idx int) (ssa.Instruction, bool) {
	isExit := w.Exit
	if isExit == nil {
		isExit = func(i ssa.Instruction) bool { _, ok := i.(*ssa.Return); return ok }
	}
	type item struct {
		b   *ssa.BasicBlock
		idx int
	}
	seen := map[*ssa.BasicBlock]bool{}
	stack := []item{{b, idx}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		blocked := false
		for _, instr := range it.b.Instrs[it.idx:] {
			if w.Event != nil && w.Event(instr) {
				blocked = true
				break
			}
			if isExit(instr) {
				return instr, true
			}
		}
		if blocked {
			continue
		}
		for _, s := range it.b.Succs {
			if w.Cut != nil && w.Cut(Edge{it.b, s}) {
				continue
			}
			if !seen[s] {
				seen[s] = true
				stack = append(stack, item{s, 0})
			}
		}
	}
	return nil, false
}

// IndexOf returns the index of instr within its block.
func IndexOf(instr ssa.Instruction) int {
	for i, x := range instr.Block().Instrs {
		if x == instr {
			return i
		}
	}
	return -1
}

// SCC returns the strongly connected component of the CFG containing b.
func SCC(b *ssa.BasicBlock) map[*ssa.BasicBlock]bool {
	fwd := reachable(b, func(x *ssa.BasicBlock) []*ssa.BasicBlock { return x.Succs })
	back := reachable(b, func(x *ssa.BasicBlock) []*ssa.BasicBlock { return x.Preds })
	out := map[*ssa.BasicBlock]bool{}
	for x := range fwd {
		if back[x] {
			out[x] = true
		}
	}
	return out
}

func reachable(b *ssa.BasicBlock, next func(*ssa.BasicBlock) []*ssa.BasicBlock) map[*ssa.BasicBlock]bool {
	seen := map[*ssa.BasicBlock]bool{b: true}
	stack := []*ssa.BasicBlock{b}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, y := range next(x) {
			if !seen[y] {
				seen[y] = true
				stack = append(stack, y)
			}
		}
	}
	return seen
}

// MaxOnPath returns the largest number of instructions satisfying count on
// any path from fn's entry to an exit, or -1 when such an instruction sits in
// a loop (unbounded).
func MaxOnPath(fn *ssa.Function, count func(ssa.Instruction) bool) int {
	if len(fn.Blocks) == 0 {
		return 0
	}
	n := map[*ssa.BasicBlock]int{}
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			if count(instr) {
				n[b]++
			}
		}
		if n[b] > 0 && InLoop(b) {
			return -1
		}
	}
	memo := map[*ssa.BasicBlock]int{}
	onStack := map[*ssa.BasicBlock]bool{}
	var best func(*ssa.BasicBlock) int
	best = func(b *ssa.BasicBlock) int {
		if v, ok := memo[b]; ok {
			return v
		}
		if onStack[b] {
			return 0 // loops hold no counted instruction (checked above)
		}
		onStack[b] = true
		m := 0
		for _, s := range b.Succs {
			if v := best(s); v > m {
				m = v
			}
		}
		onStack[b] = false
		memo[b] = m + n[b]
		return memo[b]
	}
	return best(fn.Blocks[0])
}

// FindCall returns the call expression whose left parenthesis is at lparen.
func FindCall(files []*ast.File, lparen token.Pos) *ast.CallExpr {
	for _, f := range files {
		if lparen < f.Pos() || lparen > f.End() {
			continue
		}
		var found *ast.CallExpr
		ast.Inspect(f, func(n ast.Node) bool {
			if found != nil || n == nil || lparen < n.Pos() || lparen > n.End() {
				return false
			}
			if c, ok := n.(*ast.CallExpr); ok && c.Lparen == lparen {
				found = c
				return false
			}
			return true
		})
		return found
	}
	return nil
}

// EnclosingPath returns the AST nodes enclosing pos, innermost first.
func EnclosingPath(files []*ast.File, pos token.Pos) []ast.Node {
	for _, f := range files {
		if pos < f.Pos() || pos > f.End() {
			continue
		}
		var path []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil || pos < n.Pos() || pos >= n.End() {
				return false
			}
			path = append(path, n)
			return true
		})
		for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
			path[i], path[j] = path[j], path[i]
		}
		return path
	}
	return nil
}

// Where formats pos as file:line for messages (the base name only, so
// messages and fingerprints do not depend on the checkout directory).
func Where(fset *token.FileSet, pos token.Pos) string {
	p := fset.Position(pos)
	if !p.IsValid() {
		return "an unknown position"
	}
	return filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line)
}
