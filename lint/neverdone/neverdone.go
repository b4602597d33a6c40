package neverdone

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

// Analyzer reports goroutines waiting on contexts nobody cancels.
var Analyzer = &analysis.Analyzer{
	Name:     "neverdone",
	Doc:      chanflow.ExtractDoc(doc, "neverdone"),
	URL:      "https://github.com/gocli/gocli/blob/main/docs/lint.md#neverdone",
	Run:      run,
	Requires: []*analysis.Analyzer{chanflow.Analyzer},
}

type checker struct {
	pass *analysis.Pass
	m    *chanflow.Model
}

func run(pass *analysis.Pass) (any, error) {
	c := &checker{pass: pass, m: pass.ResultOf[chanflow.Analyzer].(*chanflow.Model)}
	for _, fn := range c.m.Funcs {
		spawns := c.m.SpawnsRunning(fn)
		if len(spawns) == 0 {
			continue
		}
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				recv, ok := instr.(*ssa.UnOp)
				if !ok || recv.Op != token.ARROW {
					continue
				}
				ctx := doneReceiver(recv.X)
				if ctx == nil {
					continue
				}
				c.check(fn, spawns[0], recv, ctx)
			}
		}
	}
	return nil, nil
}

// doneReceiver returns ctx when v is ctx.Done() on a context.Context.
func doneReceiver(v ssa.Value) ssa.Value {
	call, ok := v.(*ssa.Call)
	if !ok || !call.Call.IsInvoke() || call.Call.Method.Name() != "Done" {
		return nil
	}
	if !isContext(call.Call.Value.Type()) {
		return nil
	}
	return call.Call.Value
}

func isContext(t types.Type) bool {
	n, ok := types.Unalias(t).(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "context" && n.Obj().Name() == "Context"
}

// check reports the wait when every context the receiver may be is a
// WithCancel context that is never cancelled by anyone else.
func (c *checker) check(fn *ssa.Function, s *chanflow.Spawn, recv *ssa.UnOp, ctx ssa.Value) {
	origins, ok := c.origins(ctx, 0, map[ssa.Value]bool{})
	if !ok || len(origins) == 0 {
		return
	}
	var made *ssa.Call
	for _, o := range origins {
		call, ok := o.tuple.(*ssa.Call)
		if !ok || o.index != 0 {
			return
		}
		callee := call.Call.StaticCallee()
		if callee == nil || callee.Pkg == nil || callee.Pkg.Pkg.Path() != "context" ||
			(callee.Name() != "WithCancel" && callee.Name() != "WithCancelCause") {
			return
		}
		// The parent must itself never be done.
		if !c.neverDone(call.Call.Args[0], 0) {
			return
		}
		// Who calls the cancel function?
		calls, escaped := c.cancelCalls(call)
		if escaped {
			return
		}
		for _, site := range calls {
			if !c.m.Reachable(site.Parent()) {
				continue
			}
			if c.m.Runs(s, site.Parent()) {
				continue // only the waiting goroutine cancels: after the wait
			}
			return
		}
		made = call
	}
	c.pass.Report(analysis.Diagnostic{
		Pos:      recv.Pos(),
		Category: "goroutine-leak",
		Message: fmt.Sprintf("goroutine started at %s blocks forever on ctx.Done(): nothing else cancels the context made at %s",
			chanflow.Where(c.pass.Fset, s.Pos()), chanflow.Where(c.pass.Fset, made.Pos())),
		Related: []analysis.RelatedInformation{
			{Pos: s.Pos(), Message: "goroutine started here"},
			{Pos: made.Pos(), Message: "context made here"},
		},
	})
}

type origin struct {
	tuple ssa.Value
	index int
}

// origins resolves where a context value comes from: extracts of calls,
// through parameters (every call site), closure bindings and fields.
func (c *checker) origins(v ssa.Value, depth int, seen map[ssa.Value]bool) ([]origin, bool) {
	if depth > 8 || seen[v] {
		return nil, depth <= 8
	}
	seen[v] = true
	switch x := v.(type) {
	case *ssa.Extract:
		return []origin{{x.Tuple, x.Index}}, true
	case *ssa.Call:
		return []origin{{x, 0}}, true
	case *ssa.Parameter:
		fn := x.Parent()
		idx := -1
		for i, p := range fn.Params {
			if p == x {
				idx = i
			}
		}
		sites := c.m.Callers(fn)
		if idx < 0 || len(sites) == 0 || c.exported(fn) {
			return nil, false
		}
		var out []origin
		for _, site := range sites {
			args := site.Common().Args
			if idx >= len(args) {
				return nil, false
			}
			o, ok := c.origins(args[idx], depth+1, seen)
			if !ok {
				return nil, false
			}
			out = append(out, o...)
		}
		return out, true
	case *ssa.FreeVar:
		if b := chanflow.Binding(x); b != nil {
			return c.origins(b, depth+1, seen)
		}
		return nil, false
	case *ssa.UnOp:
		if x.Op != token.MUL {
			return nil, false
		}
		if fv, ok := x.X.(*ssa.FreeVar); ok {
			if alloc, ok := chanflow.Binding(fv).(*ssa.Alloc); ok {
				return c.storedOrigins(alloc, depth, seen)
			}
			return nil, false
		}
		if fa, ok := x.X.(*ssa.FieldAddr); ok {
			return c.fieldOrigins(fa, depth, seen)
		}
		if alloc, ok := x.X.(*ssa.Alloc); ok {
			return c.storedOrigins(alloc, depth, seen)
		}
	case *ssa.Phi:
		var out []origin
		for _, e := range x.Edges {
			o, ok := c.origins(e, depth+1, seen)
			if !ok {
				return nil, false
			}
			out = append(out, o...)
		}
		return out, true
	}
	return nil, false
}

func (c *checker) exported(fn *ssa.Function) bool {
	return fn.Object() != nil && c.m.Visible(fn.Object())
}

// storedOrigins resolves the values stored into a local variable.
func (c *checker) storedOrigins(alloc *ssa.Alloc, depth int, seen map[ssa.Value]bool) ([]origin, bool) {
	var out []origin
	for _, ref := range *alloc.Referrers() {
		st, ok := ref.(*ssa.Store)
		if !ok || st.Addr != alloc {
			continue
		}
		o, ok := c.origins(st.Val, depth+1, seen)
		if !ok {
			return nil, false
		}
		out = append(out, o...)
	}
	return out, true
}

// fieldOrigins resolves every value stored into the same field anywhere in
// the package.
func (c *checker) fieldOrigins(fa *ssa.FieldAddr, depth int, seen map[ssa.Value]bool) ([]origin, bool) {
	f := chanflow.FieldOf(fa.X.Type(), fa.Field)
	if f == nil || c.m.Visible(f) {
		return nil, false
	}
	var out []origin
	for _, fn := range c.m.Funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				st, ok := instr.(*ssa.Store)
				if !ok {
					continue
				}
				a, ok := st.Addr.(*ssa.FieldAddr)
				if !ok || chanflow.FieldOf(a.X.Type(), a.Field) != f {
					continue
				}
				o, ok := c.origins(st.Val, depth+1, seen)
				if !ok {
					return nil, false
				}
				out = append(out, o...)
			}
		}
	}
	return out, true
}

// neverDone reports whether a parent context is context.Background or
// context.TODO (reached through parameters), so only its child's cancel can
// end the child.
func (c *checker) neverDone(v ssa.Value, depth int) bool {
	origins, ok := c.origins(v, depth, map[ssa.Value]bool{})
	if !ok || len(origins) == 0 {
		return false
	}
	for _, o := range origins {
		call, ok := o.tuple.(*ssa.Call)
		if !ok {
			return false
		}
		fn := call.Call.StaticCallee()
		if fn == nil || fn.Pkg == nil || fn.Pkg.Pkg.Path() != "context" || (fn.Name() != "Background" && fn.Name() != "TODO") {
			return false
		}
	}
	return true
}

// cancelCalls finds every call of the cancel function a WithCancel call
// returns, through locals, closures and struct fields.
func (c *checker) cancelCalls(with *ssa.Call) ([]ssa.CallInstruction, bool) {
	var calls []ssa.CallInstruction
	escaped := false
	seen := map[ssa.Value]bool{}
	var follow func(v ssa.Value)
	var followField func(f *types.Var)
	fields := map[*types.Var]bool{}
	follow = func(v ssa.Value) {
		if seen[v] || escaped {
			return
		}
		seen[v] = true
		refs := v.Referrers()
		if refs == nil {
			return
		}
		for _, ref := range *refs {
			switch r := ref.(type) {
			case ssa.CallInstruction:
				if r.Common().Value == v {
					calls = append(calls, r)
					continue
				}
				escaped = true // passed to a function: it may cancel
			case *ssa.Store:
				switch a := r.Addr.(type) {
				case *ssa.FieldAddr:
					f := chanflow.FieldOf(a.X.Type(), a.Field)
					if f == nil || c.m.Visible(f) {
						escaped = true
						continue
					}
					followField(f)
				case *ssa.Alloc:
					for _, ar := range *a.Referrers() {
						if ld, ok := ar.(*ssa.UnOp); ok && ld.Op == token.MUL {
							follow(ld)
						}
						if mc, ok := ar.(*ssa.MakeClosure); ok {
							for i, b := range mc.Bindings {
								if b == a {
									fv := mc.Fn.(*ssa.Function).FreeVars[i]
									for _, fr := range *fv.Referrers() {
										if ld, ok := fr.(*ssa.UnOp); ok && ld.Op == token.MUL {
											follow(ld)
										}
									}
								}
							}
						}
					}
				default:
					escaped = true
				}
			case *ssa.MakeClosure:
				for i, b := range r.Bindings {
					if b == v {
						follow(r.Fn.(*ssa.Function).FreeVars[i])
					}
				}
			case *ssa.DebugRef:
			default:
				escaped = true
			}
		}
	}
	followField = func(f *types.Var) {
		if fields[f] {
			return
		}
		fields[f] = true
		for _, fn := range c.m.Funcs {
			for _, b := range fn.Blocks {
				for _, instr := range b.Instrs {
					if fa, ok := instr.(*ssa.FieldAddr); ok && chanflow.FieldOf(fa.X.Type(), fa.Field) == f {
						for _, fr := range *fa.Referrers() {
							if ld, ok := fr.(*ssa.UnOp); ok && ld.Op == token.MUL {
								follow(ld)
							}
						}
					}
				}
			}
		}
	}
	for _, ref := range *with.Referrers() {
		if ex, ok := ref.(*ssa.Extract); ok && ex.Index == 1 {
			follow(ex)
		}
	}
	return calls, escaped
}
