// Package chanflow builds the per-package model that the goroutine-leak
// analyzers share: every goroutine a package starts, every channel it makes,
// and every operation on those channels, followed through closures,
// parameters, return values and struct fields within the package.
//
// The model is deliberately conservative in one direction: a channel that
// leaves what the package can see (passed to another package, stored in an
// exported field, converted to an interface, sent on another channel) is
// marked as escaped, and the analyzers stay silent about it. A leak the model
// cannot prove is a missed finding, never a false one.
package chanflow

import (
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strings"
	"sync"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/ssa"
)

// Analyzer computes the package's *Model. It reports nothing itself.
var Analyzer = &analysis.Analyzer{
	Name:       "chanflow",
	Doc:        "chanflow builds the goroutine and channel model shared by the goroutine-leak analyzers",
	Run:        run,
	ResultType: reflect.TypeFor[*Model](),
}

// Model is the goroutine and channel view of one package.
type Model struct {
	Pkg    *ssa.Package
	Funcs  []*ssa.Function
	Spawns []*Spawn
	Chans  []*Chan

	inPkg     map[*ssa.Function]bool
	callees   map[*ssa.Function][]*ssa.Function
	reach     map[*ssa.Function]map[*ssa.Function]bool
	callers   map[*ssa.Function][]ssa.CallInstruction
	byValue   map[ssa.Value][]*Chan
	reachable map[*ssa.Function]bool

	// mu guards the lazily filled caches (reach, byValue): the analyzers
	// that share a Model run concurrently.
	mu sync.Mutex
}

// Spawn is one go statement.
type Spawn struct {
	Go      *ssa.Go
	Parent  *ssa.Function
	Targets []*ssa.Function // the functions the new goroutine starts in (closure or static callee), when known
	InLoop  bool            // the go statement sits in a loop of its parent
}

// Pos is the position of the go statement.
func (s *Spawn) Pos() token.Pos { return s.Go.Pos() }

// Runs reports whether fn runs on this goroutine, directly or through
// synchronous calls within the package.
func (m *Model) Runs(s *Spawn, fn *ssa.Function) bool {
	for _, t := range s.Targets {
		if m.SyncReach(t)[fn] {
			return true
		}
	}
	return false
}

// OpKind says what an operation does to a channel.
type OpKind int

// Operation kinds.
const (
	OpSend OpKind = iota
	OpRecv
	OpClose
	OpSelectSend
	OpSelectRecv
)

// Op is one operation on a tracked channel.
type Op struct {
	Kind    OpKind
	Instr   ssa.Instruction
	Fn      *ssa.Function
	CommaOk bool // a receive that observes close (range, v, ok := <-ch)
	Index   int  // select state index for select operations
}

// Pos is the position of the operation in the source.
func (o Op) Pos() token.Pos {
	if p := o.Instr.Pos(); p.IsValid() {
		return p
	}
	if sel, ok := o.Instr.(*ssa.Select); ok && o.Index < len(sel.States) {
		return sel.States[o.Index].Pos
	}
	return o.Fn.Pos()
}

// Chan is one make(chan T) in the package together with every value it may
// flow into and every operation on those values.
type Chan struct {
	Make   *ssa.MakeChan
	Parent *ssa.Function
	Size   int // constant buffer size, or -1 when not constant

	Values map[ssa.Value]bool // values that may hold the channel
	ptrs   map[ssa.Value]bool // pointers whose pointee may hold the channel

	Escaped bool
	Why     string // why the channel is considered escaped

	Ops []Op

	label string
}

// Name is the source name of the channel when the model can tell it
// (a local variable or a struct field), else "channel".
func (c *Chan) Name() string {
	if c.label != "" {
		return c.label
	}
	// Maps have no order: pick the smallest candidate so messages (and the
	// fingerprints built from them) are stable across runs.
	var names []string
	for v := range c.ptrs {
		if a, ok := v.(*ssa.Alloc); ok && a.Comment != "" {
			names = append(names, a.Comment)
		}
	}
	for _, ref := range *c.Make.Referrers() {
		if st, ok := ref.(*ssa.Store); ok {
			if fa, ok := st.Addr.(*ssa.FieldAddr); ok {
				if f := FieldOf(fa.X.Type(), fa.Field); f != nil {
					names = append(names, f.Name())
				}
			}
		}
	}
	if len(names) == 0 {
		for v := range c.Values {
			if p, ok := v.(*ssa.Parameter); ok {
				names = append(names, p.Name())
			}
		}
	}
	if len(names) == 0 {
		return "channel"
	}
	sort.Strings(names)
	return names[0]
}

// OpsOf returns the channel's operations of the given kinds.
func (c *Chan) OpsOf(kinds ...OpKind) []Op {
	var out []Op
	for _, o := range c.Ops {
		for _, k := range kinds {
			if o.Kind == k {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// run builds SSA for the package itself rather than requiring buildssa:
// buildssa depends on ctrlflow, whose facts would make every driver analyse
// the whole dependency graph from source. The leak rules need only the
// package's own functions.
func run(pass *analysis.Pass) (any, error) {
	prog := ssa.NewProgram(pass.Fset, 0)
	for _, p := range pass.Pkg.Imports() {
		prog.CreatePackage(p, nil, nil, true)
	}
	pkg := prog.CreatePackage(pass.Pkg, pass.Files, pass.TypesInfo, false)
	pkg.Build()
	var funcs []*ssa.Function
	var addAnons func(f *ssa.Function)
	addAnons = func(f *ssa.Function) {
		funcs = append(funcs, f)
		for _, anon := range f.AnonFuncs {
			addAnons(anon)
		}
	}
	for _, file := range pass.Files {
		for _, decl := range file.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok {
				continue
			}
			obj, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func)
			if !ok {
				continue
			}
			if f := prog.FuncValue(obj); f != nil {
				addAnons(f)
			}
		}
	}
	m := Build(pkg, funcs)
	for _, c := range m.Chans {
		c.label = sourceName(pass.Files, c.Make.Pos())
	}
	return m, nil
}

// sourceName names the variable or field a make(chan) call is assigned to.
func sourceName(files []*ast.File, lparen token.Pos) string {
	path := EnclosingPath(files, lparen)
	for i, n := range path {
		switch x := n.(type) {
		case *ast.CallExpr:
			if x.Lparen != lparen {
				return ""
			}
			continue
		case *ast.ParenExpr:
			continue
		case *ast.AssignStmt:
			if len(x.Lhs) == len(x.Rhs) {
				for j, r := range x.Rhs {
					if i > 0 && r == path[i-1] {
						return exprName(x.Lhs[j])
					}
				}
			}
		case *ast.ValueSpec:
			for j, v := range x.Values {
				if i > 0 && v == path[i-1] && j < len(x.Names) {
					return x.Names[j].Name
				}
			}
		case *ast.KeyValueExpr:
			return exprName(x.Key)
		}
		return ""
	}
	return ""
}

func exprName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.Ident:
		return x.Name
	case *ast.SelectorExpr:
		return x.Sel.Name
	}
	return ""
}

// Build builds the model for the given package and its source functions.
func Build(pkg *ssa.Package, funcs []*ssa.Function) *Model {
	m := &Model{
		Pkg:     pkg,
		Funcs:   funcs,
		inPkg:   make(map[*ssa.Function]bool, len(funcs)),
		callees: make(map[*ssa.Function][]*ssa.Function),
		reach:   make(map[*ssa.Function]map[*ssa.Function]bool),
		callers: make(map[*ssa.Function][]ssa.CallInstruction),
	}
	for _, fn := range funcs {
		m.inPkg[fn] = true
	}
	for _, fn := range funcs {
		m.scanCalls(fn)
	}
	for _, fn := range funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				switch instr := instr.(type) {
				case *ssa.Go:
					m.Spawns = append(m.Spawns, &Spawn{
						Go:      instr,
						Parent:  fn,
						Targets: m.targets(instr.Common()),
						InLoop:  InLoop(b),
					})
				case *ssa.MakeChan:
					m.Chans = append(m.Chans, m.track(instr, fn))
				}
			}
		}
	}
	return m
}

// InPkg reports whether fn is a source function of the analysed package.
func (m *Model) InPkg(fn *ssa.Function) bool { return m.inPkg[fn] }

// targets resolves the functions a call or go statement may enter.
func (m *Model) targets(c *ssa.CallCommon) []*ssa.Function {
	if c.IsInvoke() {
		return nil
	}
	switch v := c.Value.(type) {
	case *ssa.Function:
		if m.inPkg[v] {
			return []*ssa.Function{v}
		}
		if o := v.Origin(); o != nil && m.inPkg[o] {
			return []*ssa.Function{o}
		}
	case *ssa.MakeClosure:
		if fn, ok := v.Fn.(*ssa.Function); ok && m.inPkg[fn] {
			return []*ssa.Function{fn}
		}
	}
	return nil
}

// scanCalls records the synchronous call edges of fn: static calls within the
// package, and closures made in fn that are not started as goroutines (they
// may be called, deferred or passed on to a callee that calls them).
func (m *Model) scanCalls(fn *ssa.Function) {
	seen := map[*ssa.Function]bool{}
	add := func(g *ssa.Function) {
		if g != nil && m.inPkg[g] && !seen[g] {
			seen[g] = true
			m.callees[fn] = append(m.callees[fn], g)
		}
	}
	for _, b := range fn.Blocks {
		for _, instr := range b.Instrs {
			switch instr := instr.(type) {
			case *ssa.Call, *ssa.Defer:
				ci := instr.(ssa.CallInstruction)
				for _, t := range m.targets(ci.Common()) {
					add(t)
					m.callers[t] = append(m.callers[t], ci)
				}
			case *ssa.Go:
				for _, t := range m.targets(instr.Common()) {
					m.callers[t] = append(m.callers[t], instr)
				}
			case *ssa.MakeClosure:
				if !onlyGo(instr) {
					add(instr.Fn.(*ssa.Function))
				}
			}
		}
	}
}

// onlyGo reports whether a closure is used only as the function of go statements.
func onlyGo(mc *ssa.MakeClosure) bool {
	refs := *mc.Referrers()
	if len(refs) == 0 {
		return false
	}
	for _, r := range refs {
		g, ok := r.(*ssa.Go)
		if !ok || g.Call.Value != mc {
			return false
		}
	}
	return true
}

// Callees returns fn's synchronous callees within the package.
func (m *Model) Callees(fn *ssa.Function) []*ssa.Function { return m.callees[fn] }

// Callers returns the call, defer and go instructions that enter fn.
func (m *Model) Callers(fn *ssa.Function) []ssa.CallInstruction { return m.callers[fn] }

// SyncReach returns fn and every function it reaches through synchronous
// calls within the package: the code that runs on the caller's goroutine.
func (m *Model) SyncReach(fn *ssa.Function) map[*ssa.Function]bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if r, ok := m.reach[fn]; ok {
		return r
	}
	r := map[*ssa.Function]bool{}
	var walk func(*ssa.Function)
	walk = func(f *ssa.Function) {
		if r[f] {
			return
		}
		r[f] = true
		for _, g := range m.callees[f] {
			walk(g)
		}
	}
	walk(fn)
	m.reach[fn] = r
	return r
}

// SpawnsRunning returns the goroutines on which fn may run.
func (m *Model) SpawnsRunning(fn *ssa.Function) []*Spawn {
	var out []*Spawn
	for _, s := range m.Spawns {
		if m.Runs(s, fn) {
			out = append(out, s)
		}
	}
	return out
}

// InLoop reports whether b lies on a cycle of its function's control-flow graph.
func InLoop(b *ssa.BasicBlock) bool { return Reaches(b, b) }

// Reaches reports whether control can flow from block from to block to
// along at least one edge (so a block reaches itself only around a loop).
func Reaches(from, to *ssa.BasicBlock) bool {
	seen := map[*ssa.BasicBlock]bool{}
	stack := append([]*ssa.BasicBlock(nil), from.Succs...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x == to {
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

// Binding returns the value bound to a closure's free variable when the
// closure is made exactly once.
func Binding(fv *ssa.FreeVar) ssa.Value {
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

// FieldOf returns the i-th field of the struct that t (a struct or a pointer
// to one) denotes, or nil when t is neither.
func FieldOf(t types.Type, i int) *types.Var {
	t = t.Underlying()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem().Underlying()
	}
	if st, ok := t.(*types.Struct); ok && i < st.NumFields() {
		return st.Field(i)
	}
	return nil
}

// ChansOf returns the tracked channels that v may hold.
func (m *Model) ChansOf(v ssa.Value) []*Chan {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.byValue == nil {
		m.byValue = map[ssa.Value][]*Chan{}
		for _, c := range m.Chans {
			for x := range c.Values {
				m.byValue[x] = append(m.byValue[x], c)
			}
		}
	}
	return m.byValue[v]
}

// NeverClosed reports whether every channel v may hold is known never to
// be closed: a tracked channel with no close and no escape, a ticker's C,
// or time.Tick's channel.
func (m *Model) NeverClosed(v ssa.Value) bool {
	switch x := v.(type) {
	case *ssa.UnOp:
		if fa, ok := x.X.(*ssa.FieldAddr); ok && x.Op == token.MUL {
			if f := FieldOf(fa.X.Type(), fa.Field); f != nil && f.Name() == "C" && f.Pkg() != nil && f.Pkg().Path() == "time" {
				return true
			}
		}
	case *ssa.Call:
		if fn := x.Call.StaticCallee(); fn != nil && fn.Pkg != nil && fn.Pkg.Pkg.Path() == "time" && fn.Name() == "Tick" {
			return true
		}
	}
	cs := m.ChansOf(v)
	if len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		if c.Escaped || len(c.LiveOps(m, OpClose)) > 0 {
			return false
		}
	}
	return true
}

// NeverReady reports whether a select case on v (receive when recv is true,
// else send) can never proceed: every channel v may hold is tracked, not
// escaped, and no reachable code sends on or closes it (for a receive) or
// receives from it (for a send on an unbuffered channel).
func (m *Model) NeverReady(v ssa.Value, recv bool) bool {
	if k, ok := v.(*ssa.Const); ok && k.IsNil() {
		return true
	}
	cs := m.ChansOf(v)
	if len(cs) == 0 {
		return false
	}
	for _, c := range cs {
		if c.Escaped {
			return false
		}
		if recv && len(c.LiveOps(m, OpSend, OpSelectSend, OpClose)) > 0 {
			return false
		}
		if !recv && (c.Size != 0 || len(c.LiveOps(m, OpRecv, OpSelectRecv)) > 0) {
			return false
		}
	}
	return true
}

// LiveOps returns the channel's operations of the given kinds that sit in
// reachable code.
func (c *Chan) LiveOps(m *Model, kinds ...OpKind) []Op {
	var out []Op
	for _, o := range c.OpsOf(kinds...) {
		if m.Reachable(o.Fn) {
			out = append(out, o)
		}
	}
	return out
}

// Visible reports whether code outside the package can use obj: it is
// exported and the package is not a main package (nothing imports a main
// package, so all of its code is in view).
func (m *Model) Visible(obj types.Object) bool {
	if !obj.Exported() {
		return false
	}
	return m.Pkg == nil || m.Pkg.Pkg.Name() != "main"
}

// Reachable reports whether fn can run at all. In a main package that means
// reachable from main, init, or a function used as a value; in other
// packages every function is assumed reachable (importers may call it).
func (m *Model) Reachable(fn *ssa.Function) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.reachable == nil {
		m.reachable = m.computeReachable()
	}
	if m.reachable[fn] {
		return true
	}
	return !m.inPkg[fn]
}

func (m *Model) computeReachable() map[*ssa.Function]bool {
	r := map[*ssa.Function]bool{}
	main := m.Pkg != nil && m.Pkg.Pkg.Name() == "main"
	var roots []*ssa.Function
	for _, fn := range m.Funcs {
		if !main {
			roots = append(roots, fn)
			continue
		}
		if fn.Parent() == nil && (fn.Name() == "main" || strings.HasPrefix(fn.Name(), "init")) {
			roots = append(roots, fn)
		}
	}
	if main {
		// Methods of types converted to interfaces may be called
		// dynamically: they are roots too.
		dyn := map[types.Type]bool{}
		for _, fn := range m.Funcs {
			for _, b := range fn.Blocks {
				for _, instr := range b.Instrs {
					if mi, ok := instr.(*ssa.MakeInterface); ok {
						t := mi.X.Type()
						dyn[t] = true
						if p, ok := t.(*types.Pointer); ok {
							dyn[p.Elem()] = true
						}
					}
				}
			}
		}
		for _, fn := range m.Funcs {
			if recv := fn.Signature.Recv(); recv != nil {
				t := recv.Type()
				if p, ok := t.(*types.Pointer); ok {
					t = p.Elem()
				}
				if dyn[t] {
					roots = append(roots, fn)
				}
			}
		}
	}
	// functions referenced as values (register("X", X), callbacks)
	for _, fn := range m.Funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				for _, op := range instr.Operands(nil) {
					if g, ok := (*op).(*ssa.Function); ok && m.inPkg[g] {
						if c, ok := instr.(ssa.CallInstruction); ok && c.Common().Value == g {
							continue
						}
						roots = append(roots, g)
					}
				}
			}
		}
	}
	var walk func(*ssa.Function)
	walk = func(f *ssa.Function) {
		if r[f] {
			return
		}
		r[f] = true
		for _, g := range m.callees[f] {
			walk(g)
		}
		for _, b := range f.Blocks {
			for _, instr := range b.Instrs {
				if g, ok := instr.(*ssa.Go); ok {
					for _, t := range m.targets(g.Common()) {
						walk(t)
					}
				}
				if mc, ok := instr.(*ssa.MakeClosure); ok {
					walk(mc.Fn.(*ssa.Function))
				}
			}
		}
	}
	for _, fn := range roots {
		walk(fn)
	}
	return r
}
