package syncblock

import (
	_ "embed"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"

	"github.com/gocli/gocli/lint/internal/chanflow"
)

//go:embed doc.go
var doc string

// Analyzer reports locks and waits that can never be released.
var Analyzer = &analysis.Analyzer{
	Name:     "syncblock",
	Doc:      chanflow.ExtractDoc(doc, "syncblock"),
	URL:      "https://github.com/gocli/gocli/blob/main/docs/lint.md#syncblock",
	Run:      run,
	Requires: []*analysis.Analyzer{chanflow.Analyzer},
}

// ref names a lock or wait group: a root value and a field path from it.
type ref struct {
	root  ssa.Value
	path  string
	field *types.Var // the last field on the path, for package-wide keys
	name  string     // for messages
	owner string     // the struct type holding field, for package-wide messages
}

// typeName names a package-wide lock for messages: "Store.mu".
func (r ref) typeName() string {
	if r.field != nil && r.field.Embedded() {
		if r.owner != "" {
			return r.owner
		}
		return strings.TrimSuffix(r.name, "."+r.field.Name())
	}
	if r.field == nil || r.owner == "" {
		return r.name
	}
	return r.owner + "." + r.field.Name()
}

func ownerName(t types.Type) string {
	if p, ok := t.Underlying().(*types.Pointer); ok {
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return ""
}

func (r ref) same(o ref) bool { return r.root == o.root && r.path == o.path }

// typeKey is the package-wide identity of a lock: its struct field or
// package variable. Locks on locals have none.
func (r ref) typeKey() string {
	if r.field != nil {
		return fmt.Sprintf("field:%p", r.field)
	}
	if g, ok := r.root.(*ssa.Global); ok && r.path == "" {
		return "global:" + g.Name()
	}
	return ""
}

type opKind int

const (
	opLock opKind = iota
	opRLock
	opUnlock
	opRUnlock
	opWait
	opDone
	opAdd
	opCondWait
	opSignal
)

type syncOp struct {
	kind  opKind
	ref   ref
	instr ssa.Instruction
}

type checker struct {
	pass    *analysis.Pass
	m       *chanflow.Model
	ops     map[ssa.Instruction]syncOp
	summary map[*ssa.Function]*summary
	edges   map[[2]string][]token.Pos
	names   map[string]string
	seen    map[token.Pos]bool
	// pendingEnd holds locks that can reach the end of a function without a
	// return statement; they are reported at the lock unless a sharper
	// finding already is.
	pendingEnd []syncOp
}

// summary lists what a function does to locks reached through its parameters.
type summary struct {
	acquires []paramOp
	releases []paramOp
	done     bool
}

type paramOp struct {
	param int
	path  string
	field *types.Var
	kind  opKind
	pos   token.Pos
	typed string // typeKey for lock-order edges
	name  string
}

func run(pass *analysis.Pass) (any, error) {
	m := pass.ResultOf[chanflow.Analyzer].(*chanflow.Model)
	c := &checker{pass: pass, m: m, ops: map[ssa.Instruction]syncOp{}, summary: map[*ssa.Function]*summary{},
		edges: map[[2]string][]token.Pos{}, names: map[string]string{}, seen: map[token.Pos]bool{}}
	for _, fn := range m.Funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				if op, ok := c.classify(instr); ok {
					c.ops[instr] = op
				}
			}
		}
	}
	for _, fn := range m.Funcs {
		for _, b := range fn.Blocks {
			for i, instr := range b.Instrs {
				op, ok := c.ops[instr]
				_, deferred := instr.(*ssa.Defer)
				if ok && !deferred && (op.kind == opLock || op.kind == opRLock) {
					c.walkLock(fn, b, i, op)
				}
			}
		}
	}
	for _, lock := range c.pendingEnd {
		c.report(lock.instr.Pos(), analysis.Diagnostic{
			Message: fmt.Sprintf("%s can still be locked when %s reaches its end (other paths unlock it): the next Lock blocks forever",
				lock.ref.name, lock.instr.Parent().Name()),
		})
	}
	c.reportInversions()
	c.checkWaitGroups()
	c.checkConds()
	return nil, nil
}

func (c *checker) report(pos token.Pos, d analysis.Diagnostic) {
	if c.seen[pos] {
		return
	}
	c.seen[pos] = true
	// Name the goroutine that blocks, when the blocking code runs on one.
	if fn := c.funcAt(pos); fn != nil {
		if spawns := c.m.SpawnsRunning(fn); len(spawns) > 0 && !strings.Contains(d.Message, "goroutine started at") {
			d.Message = fmt.Sprintf("goroutine started at %s: %s", chanflow.Where(c.pass.Fset, spawns[0].Pos()), d.Message)
			d.Related = append(d.Related, analysis.RelatedInformation{Pos: spawns[0].Pos(), Message: "goroutine started here"})
		}
	}
	d.Pos = pos
	d.Category = "goroutine-leak"
	c.pass.Report(d)
}

// classify recognises calls on sync.Mutex, RWMutex, Locker, WaitGroup and Cond.
func (c *checker) classify(instr ssa.Instruction) (syncOp, bool) {
	call, ok := instr.(ssa.CallInstruction)
	if !ok {
		return syncOp{}, false
	}
	cc := call.Common()
	var recvType, method string
	var recv ssa.Value
	if cc.IsInvoke() {
		recvType = types.TypeString(cc.Value.Type(), nil)
		method = cc.Method.Name()
		recv = cc.Value
	} else if fn := cc.StaticCallee(); fn != nil && fn.Signature.Recv() != nil && len(cc.Args) > 0 {
		recvType = types.TypeString(fn.Signature.Recv().Type(), nil)
		method = fn.Name()
		recv = cc.Args[0]
	} else {
		return syncOp{}, false
	}
	kinds := map[string]map[string]opKind{
		"*sync.Mutex":     {"Lock": opLock, "Unlock": opUnlock},
		"*sync.RWMutex":   {"Lock": opLock, "Unlock": opUnlock, "RLock": opRLock, "RUnlock": opRUnlock},
		"sync.Locker":     {"Lock": opLock, "Unlock": opUnlock},
		"*sync.WaitGroup": {"Wait": opWait, "Done": opDone, "Add": opAdd, "Go": opAdd},
		"*sync.Cond":      {"Wait": opCondWait, "Signal": opSignal, "Broadcast": opSignal},
	}
	k, ok := kinds[recvType][method]
	if !ok {
		return syncOp{}, false
	}
	if recvType == "*sync.WaitGroup" && method == "Go" {
		return syncOp{}, false // wg.Go pairs Add and Done itself
	}
	if _, isGo := instr.(*ssa.Go); isGo && k != opDone {
		return syncOp{}, false // only go wg.Done() counts: it releases a waiter
	}
	r := c.canon(recv, 0)
	if src := lockExpr(c.pass.Files, instr.Pos()); src != "" {
		r.name = src // the receiver as written, e.g. s.mu
	}
	return syncOp{kind: k, ref: r, instr: instr}, true
}

// canon resolves a lock operand to a root value and field path, looking
// through loads of captured variables and closure bindings.
func (c *checker) canon(v ssa.Value, depth int) ref {
	if depth > 8 {
		return ref{root: v, name: v.Name()}
	}
	switch x := v.(type) {
	case *ssa.FieldAddr:
		r := c.canon(x.X, depth+1)
		f := field(x.X.Type(), x.Field)
		r.path += "." + f.Name()
		r.field = f
		r.name = r.name + "." + f.Name()
		r.owner = ownerName(x.X.Type())
		return r
	case *ssa.Field:
		r := c.canon(x.X, depth+1)
		f := field(x.X.Type(), x.Field)
		r.path += "." + f.Name()
		r.field = f
		r.name = r.name + "." + f.Name()
		r.owner = ownerName(x.X.Type())
		return r
	case *ssa.UnOp:
		if x.Op == token.MUL {
			r := c.canon(x.X, depth+1)
			r.path += "*"
			return r
		}
	case *ssa.MakeInterface:
		return c.canon(x.X, depth+1)
	case *ssa.ChangeType:
		return c.canon(x.X, depth+1)
	case *ssa.FreeVar:
		if b := binding(x); b != nil {
			return c.canon(b, depth+1)
		}
	case *ssa.Alloc:
		if x.Comment != "" {
			return ref{root: x, name: x.Comment}
		}
	}
	return ref{root: v, name: v.Name()}
}

// binding returns the value bound to a closure's free variable when the
// closure is made exactly once.
func binding(fv *ssa.FreeVar) ssa.Value {
	fn := fv.Parent()
	idx := -1
	for i, f := range fn.FreeVars {
		if f == fv {
			idx = i
		}
	}
	parent := fn.Parent()
	if parent == nil || idx < 0 {
		return nil
	}
	var found ssa.Value
	n := 0
	for _, b := range parent.Blocks {
		for _, instr := range b.Instrs {
			if mc, ok := instr.(*ssa.MakeClosure); ok && mc.Fn == fn {
				found = mc.Bindings[idx]
				n++
			}
		}
	}
	if n != 1 {
		return nil
	}
	return found
}

func field(t types.Type, i int) *types.Var {
	t = t.Underlying()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem().Underlying()
	}
	if st, ok := t.(*types.Struct); ok && i < st.NumFields() {
		return st.Field(i)
	}
	return types.NewVar(token.NoPos, nil, "?", types.Typ[types.Invalid])
}

// summarize computes which locks reached from fn's parameters fn (and the
// package functions it calls) acquires and releases.
func (c *checker) summarize(fn *ssa.Function, depth int) *summary {
	if s, ok := c.summary[fn]; ok {
		return s
	}
	s := &summary{}
	c.summary[fn] = s
	if depth > 4 {
		return s
	}
	paramIdx := func(v ssa.Value) int {
		for i, p := range fn.Params {
			if p == v {
				return i
			}
		}
		return -1
	}
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			if op, ok := c.ops[instr]; ok {
				pi := paramIdx(op.ref.root)
				if pi < 0 && op.ref.typeKey() == "" {
					continue
				}
				po := paramOp{param: pi, path: op.ref.path, field: op.ref.field, kind: op.kind, pos: instr.Pos(), typed: op.ref.typeKey(), name: op.ref.typeName()}
				switch op.kind {
				case opLock, opRLock:
					s.acquires = append(s.acquires, po)
				case opUnlock, opRUnlock:
					s.releases = append(s.releases, po)
				}
				continue
			}
			call, ok := instr.(*ssa.Call)
			if !ok {
				continue
			}
			g := c.callee(call)
			if g == nil {
				continue
			}
			gs := c.summarize(g, depth+1)
			mapOps := func(list []paramOp) []paramOp {
				var out []paramOp
				for _, po := range list {
					if po.param < 0 {
						if po.typed != "" {
							out = append(out, paramOp{param: -1, path: po.path, field: po.field, kind: po.kind, pos: po.pos, typed: po.typed, name: po.name})
						}
						continue
					}
					if po.param >= len(call.Call.Args) {
						continue
					}
					r := c.canon(call.Call.Args[po.param], 0)
					pi := paramIdx(r.root)
					out = append(out, paramOp{param: pi, path: r.path + po.path, field: po.field, kind: po.kind, pos: po.pos, typed: po.typed, name: po.name})
				}
				return out
			}
			s.acquires = append(s.acquires, mapOps(gs.acquires)...)
			s.releases = append(s.releases, mapOps(gs.releases)...)
		}
	}
	s.done = true
	return s
}

func (c *checker) callee(call *ssa.Call) *ssa.Function {
	cc := call.Common()
	if cc.IsInvoke() {
		return nil
	}
	switch v := cc.Value.(type) {
	case *ssa.Function:
		if c.m.InPkg(v) {
			return v
		}
		if o := v.Origin(); o != nil && c.m.InPkg(o) {
			return o
		}
	case *ssa.MakeClosure:
		if fn, ok := v.Fn.(*ssa.Function); ok && c.m.InPkg(fn) {
			return fn
		}
	}
	return nil
}

// fieldCallee resolves a call through a func-typed struct field (le.cp(ctx))
// to the one function the package ever stores in that field.
func (c *checker) fieldCallee(call *ssa.Call) *ssa.Function {
	ld, ok := call.Call.Value.(*ssa.UnOp)
	if !ok || ld.Op != token.MUL {
		return nil
	}
	fa, ok := ld.X.(*ssa.FieldAddr)
	if !ok {
		return nil
	}
	f := field(fa.X.Type(), fa.Field)
	if c.m.Visible(f) {
		return nil
	}
	var found *ssa.Function
	for _, fn := range c.m.Funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				st, ok := instr.(*ssa.Store)
				if !ok {
					continue
				}
				a, ok := st.Addr.(*ssa.FieldAddr)
				if !ok || field(a.X.Type(), a.Field) != f {
					continue
				}
				g := c.storedFunc(st.Val, 0)
				if g == nil || (found != nil && found != g) {
					return nil
				}
				found = g
			}
		}
	}
	if found == nil || !c.m.InPkg(found) {
		return nil
	}
	return found
}

// storedFunc returns the function a func value denotes, looking through
// parameters whose call sites all pass the same function.
func (c *checker) storedFunc(v ssa.Value, depth int) *ssa.Function {
	if depth > 4 {
		return nil
	}
	switch x := v.(type) {
	case *ssa.Function:
		return x
	case *ssa.MakeClosure:
		fn, _ := x.Fn.(*ssa.Function)
		return fn
	case *ssa.ChangeType:
		return c.storedFunc(x.X, depth+1)
	case *ssa.Call:
		// a constructor of callbacks: newDeleter(t) returning func() {...}
		g := c.callee(x)
		if g == nil || g.Signature.Results().Len() != 1 {
			return nil
		}
		var found *ssa.Function
		for _, b := range g.Blocks {
			if ret, ok := b.Instrs[len(b.Instrs)-1].(*ssa.Return); ok && len(ret.Results) == 1 {
				f := c.storedFunc(ret.Results[0], depth+1)
				if f == nil || (found != nil && f != found) {
					return nil
				}
				found = f
			}
		}
		return found
	case *ssa.Parameter:
		fn := x.Parent()
		idx := -1
		for j, p := range fn.Params {
			if p == x {
				idx = j
			}
		}
		sites := c.m.Callers(fn)
		if idx < 0 || len(sites) == 0 || (fn.Object() != nil && c.m.Visible(fn.Object())) {
			return nil
		}
		var found *ssa.Function
		for _, site := range sites {
			args := site.Common().Args
			if idx >= len(args) {
				return nil
			}
			g := c.storedFunc(args[idx], depth+1)
			if g == nil || (found != nil && g != found) {
				return nil
			}
			found = g
		}
		return found
	}
	return nil
}

// callRefs maps a callee summary's operations to refs in the caller.
func (c *checker) callRefs(call *ssa.Call, list []paramOp) []ref {
	var out []ref
	for _, po := range list {
		if po.param < 0 || po.param >= len(call.Call.Args) {
			continue
		}
		r := c.canon(call.Call.Args[po.param], 0)
		r.path += po.path
		r.field = po.field
		r.name += strings.ReplaceAll(po.path, "*", "")
		out = append(out, r)
	}
	return out
}

// walkLock follows the paths from a lock until the lock is released.
func (c *checker) walkLock(fn *ssa.Function, b *ssa.BasicBlock, idx int, lock syncOp) {
	hasDefer := false
	unlocksSomewhere := false
	for _, bb := range fn.Blocks {
		for _, instr := range bb.Instrs {
			if _, ok := instr.(*ssa.Defer); ok {
				hasDefer = true
			}
			if op, ok := c.ops[instr]; ok && (op.kind == opUnlock || op.kind == opRUnlock) && op.ref.same(lock.ref) {
				unlocksSomewhere = true
			}
			if call, ok := instr.(*ssa.Call); ok {
				if g := c.callee(call); g != nil {
					for _, r := range c.callRefs(call, c.summarize(g, 0).releases) {
						if r.same(lock.ref) {
							unlocksSomewhere = true
						}
					}
				}
			}
		}
	}
	type item struct {
		b   *ssa.BasicBlock
		idx int
	}
	visited := map[*ssa.BasicBlock]bool{}
	stack := []item{{b, idx + 1}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		stop := false
		for _, instr := range it.b.Instrs[it.idx:] {
			if _, deferred := instr.(*ssa.Defer); deferred {
				continue // runs at return; hasDefer covers it
			}
			c.holdWait(lock, instr)
			if call, ok := instr.(*ssa.Call); ok {
				c.holdWaitCall(lock, call)
			}
			if op, ok := c.ops[instr]; ok {
				switch op.kind {
				case opUnlock, opRUnlock:
					if op.ref.same(lock.ref) {
						stop = true
					}
				case opLock, opRLock:
					if op.ref.same(lock.ref) {
						// Around a loop, a lock whose unlock is deferred is
						// usually guarded by a flag the analysis cannot see.
						if !(instr == lock.instr && hasDefer) {
							c.doubleLock(lock, instr.Pos(), "")
						}
						stop = true
					} else {
						c.edge(lock.ref, op.ref, instr.Pos())
					}
				}
			}
			if stop {
				break
			}
			if call, ok := instr.(*ssa.Call); ok {
				// A call through a func-typed field loses the receiver's
				// identity: match the lock by its field instead.
				if g := c.fieldCallee(call); g != nil && lock.ref.typeKey() != "" {
					for _, po := range c.summarize(g, 0).acquires {
						if po.typed == lock.ref.typeKey() && po.kind == opLock {
							via := g.Name()
							if ce := chanflow.FindCall(c.pass.Files, call.Pos()); ce != nil {
								via = types.ExprString(ce.Fun) + " (" + g.Name() + ")"
							}
							c.doubleLock(lock, instr.Pos(), via)
							stop = true
						}
					}
					if stop {
						break
					}
				}
				if g := c.callee(call); g != nil {
					s := c.summarize(g, 0)
					// A callee that releases the lock it is handed (the
					// "...AndUnlock" style) may take it again safely.
					releases := false
					for _, r := range c.callRefs(call, c.handed(g)) {
						releases = releases || r.same(lock.ref)
					}
					for _, r := range c.callRefs(call, s.acquires) {
						if r.same(lock.ref) && !releases {
							c.doubleLock(lock, instr.Pos(), g.Name())
							stop = true
						}
					}
					if stop {
						break
					}
					for _, r := range c.callRefs(call, s.releases) {
						if r.same(lock.ref) {
							stop = true
						}
					}
					for _, po := range s.acquires {
						if po.typed != "" {
							c.edgeKey(lock.ref, po.typed, po.name, instr.Pos())
						}
					}
				}
			}
			if stop {
				break
			}
			if ret, ok := instr.(*ssa.Return); ok {
				if !hasDefer && unlocksSomewhere {
					c.missingUnlock(lock, ret)
				}
				stop = true
				break
			}
			if _, ok := instr.(*ssa.Panic); ok {
				stop = true
				break
			}
		}
		if stop {
			continue
		}
		for _, s := range it.b.Succs {
			if !visited[s] {
				visited[s] = true
				stack = append(stack, item{s, 0})
			}
		}
	}
}

func (c *checker) doubleLock(lock syncOp, pos token.Pos, via string) {
	what := "locked again"
	if lock.kind == opRLock {
		if op, ok := c.opAt(pos); ok && op.kind == opRLock {
			what = "read-locked again (recursive RLock deadlocks once a writer waits)"
		}
	}
	msg := fmt.Sprintf("%s is %s while still held (locked at %s): this goroutine blocks forever",
		lock.ref.name, what, chanflow.Where(c.pass.Fset, lock.instr.Pos()))
	if via != "" {
		msg = fmt.Sprintf("%s is locked again by %s while still held (locked at %s): this goroutine blocks forever",
			lock.ref.name, via, chanflow.Where(c.pass.Fset, lock.instr.Pos()))
	}
	c.report(pos, analysis.Diagnostic{Message: msg, Related: []analysis.RelatedInformation{{Pos: lock.instr.Pos(), Message: "first locked here"}}})
}

func (c *checker) opAt(pos token.Pos) (syncOp, bool) {
	for instr, op := range c.ops {
		if instr.Pos() == pos {
			return op, true
		}
	}
	return syncOp{}, false
}

func (c *checker) missingUnlock(lock syncOp, ret *ssa.Return) {
	pos := ret.Pos()
	unlock := "Unlock"
	if !pos.IsValid() {
		c.pendingEnd = append(c.pendingEnd, lock)
		return
	}
	if lock.kind == opRLock {
		unlock = "RUnlock"
	}
	d := analysis.Diagnostic{
		Message: fmt.Sprintf("this return leaves %s locked (locked at %s, unlocked on other paths): the next Lock blocks forever",
			lock.ref.name, chanflow.Where(c.pass.Fset, lock.instr.Pos())),
		Related: []analysis.RelatedInformation{{Pos: lock.instr.Pos(), Message: "locked here"}},
	}
	// Where the leaked lock blocks: other functions locking the same field.
	if key := lock.ref.typeKey(); key != "" {
		n := 0
		for _, op := range c.sortedOps() {
			if _, deferred := op.instr.(*ssa.Defer); deferred || op.kind != opLock || op.ref.typeKey() != key || op.instr.Parent() == lock.instr.Parent() || n == 2 {
				continue
			}
			d.Related = append(d.Related, analysis.RelatedInformation{Pos: op.instr.Pos(), Message: "blocks here once the lock is leaked"})
			n++
		}
	}
	if recv := lockExpr(c.pass.Files, lock.instr.Pos()); recv != "" {
		d.SuggestedFixes = []analysis.SuggestedFix{{
			Message:   "unlock " + recv + " before returning",
			TextEdits: []analysis.TextEdit{{Pos: pos, End: pos, NewText: []byte(recv + "." + unlock + "()\n")}},
		}}
	}
	c.report(pos, d)
}

// lockExpr returns the source of the receiver of the Lock call at pos
// (the call's Lparen), e.g. "s.mu".
func lockExpr(files []*ast.File, lparen token.Pos) string {
	call := chanflow.FindCall(files, lparen)
	if call == nil {
		return ""
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	return types.ExprString(sel.X)
}

func (c *checker) edge(held, next ref, pos token.Pos) {
	if k := next.typeKey(); k != "" {
		c.edgeKey(held, k, next.typeName(), pos)
	}
}

func (c *checker) edgeKey(held ref, next, nextName string, pos token.Pos) {
	k := held.typeKey()
	if k == "" || k == next {
		return
	}
	c.names[k] = held.typeName()
	c.names[next] = nextName
	e := [2]string{k, next}
	c.edges[e] = append(c.edges[e], pos)
}

// reportInversions reports pairs of locks taken in both orders.
func (c *checker) reportInversions() {
	var keys [][2]string
	for e := range c.edges {
		keys = append(keys, e)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, e := range keys {
		rev, ok := c.edges[[2]string{e[1], e[0]}]
		if !ok {
			continue
		}
		for _, pos := range c.edges[e] {
			c.report(pos, analysis.Diagnostic{
				Message: fmt.Sprintf("lock-order inversion: %s is taken while holding %s here, but %s is taken while holding %s at %s; two goroutines can each hold one and wait forever",
					c.names[e[1]], c.names[e[0]], c.names[e[0]], c.names[e[1]], chanflow.Where(c.pass.Fset, rev[0])),
				Related: []analysis.RelatedInformation{{Pos: rev[0], Message: "opposite order here"}},
			})
		}
	}
}

// checkWaitGroups reports Wait calls that no Done can release, and
// goroutines that can return without calling Done.
func (c *checker) checkWaitGroups() {
	var waits, dones, adds []syncOp
	for _, op := range c.sortedOps() {
		switch op.kind {
		case opWait:
			waits = append(waits, op)
		case opDone:
			dones = append(dones, op)
		case opAdd:
			adds = append(adds, op)
		}
	}
	sameWG := func(a, b ref) bool {
		if a.same(b) {
			return true
		}
		return a.typeKey() != "" && a.typeKey() == b.typeKey()
	}
	for _, w := range waits {
		added, done := false, false
		for _, a := range adds {
			added = added || sameWG(a.ref, w.ref)
		}
		for _, d := range dones {
			done = done || sameWG(d.ref, w.ref)
		}
		if _, isParam := w.ref.root.(*ssa.Parameter); isParam && w.ref.field == nil {
			continue // the caller's wait group: Done may be anywhere
		}
		if added && !done && (w.ref.field == nil || !c.m.Visible(w.ref.field)) {
			c.report(w.instr.Pos(), analysis.Diagnostic{
				Message: fmt.Sprintf("%s.Wait blocks forever: %s.Add is called but nothing calls %s.Done", w.ref.name, w.ref.name, w.ref.name),
			})
		}
	}
	c.waitInSpawnLoop(waits, adds, dones)
	// A goroutine that calls Done (not deferred) and can return first.
	for _, s := range c.m.Spawns {
		if len(s.Targets) != 1 {
			continue
		}
		t := s.Targets[0]
		var mine []syncOp
		for _, d := range dones {
			if d.instr.Parent() == t {
				mine = append(mine, d)
			}
		}
		if len(mine) == 0 || len(t.Blocks) == 0 {
			continue
		}
		isDone := map[ssa.Instruction]bool{}
		for _, d := range mine {
			isDone[d.instr] = true
		}
		exit, ok := chanflow.Walk{
			Event: func(i ssa.Instruction) bool {
				if isDone[i] {
					return true
				}
				_, isDefer := i.(*ssa.Defer)
				return isDefer
			},
		}.FindExit(t.Blocks[0], 0)
		if !ok || !exit.Pos().IsValid() {
			continue
		}
		c.report(exit.Pos(), analysis.Diagnostic{
			Message: fmt.Sprintf("the goroutine started at %s can return here without calling %s.Done, so Wait blocks forever; use defer %s.Done()",
				chanflow.Where(c.pass.Fset, s.Pos()), mine[0].ref.name, mine[0].ref.name),
			Related: []analysis.RelatedInformation{{Pos: s.Pos(), Message: "goroutine started here"}},
		})
	}
}

// checkConds reports Cond.Wait on conditions nothing signals.
func (c *checker) checkConds() {
	signals := map[string]bool{}
	local := map[ssa.Value]bool{}
	for _, op := range c.sortedOps() {
		if op.kind == opSignal {
			signals[op.ref.typeKey()] = true
			local[op.ref.root] = true
		}
	}
	for _, op := range c.sortedOps() {
		if op.kind != opCondWait {
			continue
		}
		if k := op.ref.typeKey(); k != "" && (signals[k] || c.m.Visible(op.ref.field)) {
			continue
		}
		if local[op.ref.root] {
			continue
		}
		if _, isParam := op.ref.root.(*ssa.Parameter); isParam && op.ref.field == nil {
			continue
		}
		c.report(op.instr.Pos(), analysis.Diagnostic{
			Message: fmt.Sprintf("%s.Wait blocks forever: nothing in the package calls Signal or Broadcast on it", op.ref.name),
		})
	}
}

// handed returns the parameter locks fn unlocks before (or without)
// locking them itself: locks its caller hands over for it to release.
func (c *checker) handed(fn *ssa.Function) []paramOp {
	var out []paramOp
	if len(fn.Blocks) == 0 {
		return nil
	}
	for _, po := range c.summarize(fn, 0).releases {
		if po.param < 0 {
			continue
		}
		same := func(instr ssa.Instruction) (syncOp, bool) {
			op, ok := c.ops[instr]
			if !ok || instr.Parent() != fn {
				return op, false
			}
			if op.ref.path != po.path || len(fn.Params) <= po.param || op.ref.root != fn.Params[po.param] {
				return op, false
			}
			return op, true
		}
		_, found := chanflow.Walk{
			Event: func(instr ssa.Instruction) bool {
				op, ok := same(instr)
				return ok && (op.kind == opLock || op.kind == opRLock)
			},
			Exit: func(instr ssa.Instruction) bool {
				if _, deferred := instr.(*ssa.Defer); deferred {
					return false
				}
				op, ok := same(instr)
				return ok && (op.kind == opUnlock || op.kind == opRUnlock)
			},
		}.FindExit(fn.Blocks[0], 0)
		if found {
			out = append(out, po)
		}
	}
	return out
}

// funcAt returns the innermost source function whose body contains pos.
func (c *checker) funcAt(pos token.Pos) *ssa.Function {
	var best *ssa.Function
	for _, fn := range c.m.Funcs {
		syn := fn.Syntax()
		if syn == nil || pos < syn.Pos() || pos >= syn.End() {
			continue
		}
		if best == nil || syn.Pos() >= best.Syntax().Pos() {
			best = fn
		}
	}
	return best
}

// sortedOps returns the operations in source order, so reports and their
// messages do not depend on map order.
func (c *checker) sortedOps() []syncOp {
	out := make([]syncOp, 0, len(c.ops))
	for _, op := range c.ops {
		out = append(out, op)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].instr.Pos() < out[j].instr.Pos() })
	return out
}

// waitInSpawnLoop reports a Wait inside the loop that starts the goroutines
// calling Done, when the Add before the loop counted all of them: the first
// iteration waits for goroutines that have not been started yet.
func (c *checker) waitInSpawnLoop(waits, adds, dones []syncOp) {
	for _, w := range waits {
		fn := w.instr.Parent()
		wb := w.instr.Block()
		if !chanflow.InLoop(wb) {
			continue
		}
		loop := chanflow.SCC(wb)
		var add syncOp
		found := false
		for _, a := range adds {
			if a.instr.Parent() != fn || !a.ref.same(w.ref) {
				continue
			}
			if loop[a.instr.Block()] {
				found = false // Add per iteration: the count matches
				break
			}
			if k, ok := a.instr.(ssa.CallInstruction).Common().Args[1].(*ssa.Const); ok && k.Int64() <= 1 {
				continue
			}
			add, found = a, true
		}
		if !found {
			continue
		}
		for _, s := range c.m.Spawns {
			if s.Parent != fn || !loop[s.Go.Block()] || !reaches(s.Go, w.instr) {
				continue
			}
			calls := false
			for _, d := range dones {
				calls = calls || (d.ref.same(w.ref) || matches(d.ref, w.ref)) && c.m.Runs(s, d.instr.Parent())
			}
			if !calls {
				continue
			}
			c.report(w.instr.Pos(), analysis.Diagnostic{
				Message: fmt.Sprintf("%s.Wait inside the loop that starts the goroutines blocks forever: %s.Add at %s counts every iteration's goroutine, but only those started so far can call Done; move Wait after the loop",
					w.ref.name, w.ref.name, chanflow.Where(c.pass.Fset, add.instr.Pos())),
				Related: []analysis.RelatedInformation{
					{Pos: add.instr.Pos(), Message: "Add counts all goroutines here"},
					{Pos: s.Pos(), Message: "goroutine started here"},
				},
			})
			break
		}
	}
}
