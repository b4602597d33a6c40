package chanflow

import (
	"go/constant"
	"go/types"

	"golang.org/x/tools/go/ssa"
)

// track follows one make(chan T) through the package.
func (m *Model) track(mc *ssa.MakeChan, parent *ssa.Function) *Chan {
	c := &Chan{
		Make:   mc,
		Parent: parent,
		Size:   -1,
		Values: map[ssa.Value]bool{},
		ptrs:   map[ssa.Value]bool{},
	}
	if k, ok := mc.Size.(*ssa.Const); ok && k.Value != nil && k.Value.Kind() == constant.Int {
		if n, ok := constant.Int64Val(k.Value); ok {
			c.Size = int(n)
		}
	}
	t := &tracker{m: m, c: c, fields: map[*types.Var]bool{}, seenOp: map[opKey]bool{}}
	t.addValue(mc)
	t.drain()
	return c
}

type opKey struct {
	instr ssa.Instruction
	index int
	kind  OpKind
}

type tracker struct {
	m      *Model
	c      *Chan
	fields map[*types.Var]bool
	work   []ssa.Value
	pwork  []ssa.Value
	seenOp map[opKey]bool
}

func (t *tracker) escape(why string) {
	if !t.c.Escaped {
		t.c.Escaped = true
		t.c.Why = why
	}
}

func (t *tracker) addValue(v ssa.Value) {
	if !t.c.Values[v] {
		t.c.Values[v] = true
		t.work = append(t.work, v)
	}
}

func (t *tracker) addPtr(v ssa.Value) {
	if !t.c.ptrs[v] {
		t.c.ptrs[v] = true
		t.pwork = append(t.pwork, v)
	}
}

func (t *tracker) op(o Op) {
	k := opKey{o.Instr, o.Index, o.Kind}
	if !t.seenOp[k] {
		t.seenOp[k] = true
		t.c.Ops = append(t.c.Ops, o)
	}
}

func (t *tracker) drain() {
	for len(t.work) > 0 || len(t.pwork) > 0 {
		if n := len(t.work); n > 0 {
			v := t.work[n-1]
			t.work = t.work[:n-1]
			t.value(v)
			continue
		}
		n := len(t.pwork)
		p := t.pwork[n-1]
		t.pwork = t.pwork[:n-1]
		t.pointer(p)
	}
}

// value handles every use of a value that may hold the channel.
func (t *tracker) value(v ssa.Value) {
	refs := v.Referrers()
	if refs == nil {
		return
	}
	for _, ref := range *refs {
		fn := ref.Parent()
		switch r := ref.(type) {
		case *ssa.Send:
			if r.Chan == v {
				t.op(Op{Kind: OpSend, Instr: r, Fn: fn})
			}
			if r.X == v {
				t.escape("sent on another channel")
			}
		case *ssa.UnOp:
			if r.Op.String() == "<-" {
				t.op(Op{Kind: OpRecv, Instr: r, Fn: fn, CommaOk: r.CommaOk})
			}
		case *ssa.Select:
			for i, st := range r.States {
				if st.Chan == v {
					k := OpSelectRecv
					if st.Dir == types.SendOnly {
						k = OpSelectSend
					}
					t.op(Op{Kind: k, Instr: r, Fn: fn, Index: i})
				}
				if st.Send == v {
					t.escape("sent on another channel")
				}
			}
		case *ssa.Call, *ssa.Defer, *ssa.Go:
			t.call(ref.(ssa.CallInstruction), v)
		case *ssa.MakeClosure:
			for i, b := range r.Bindings {
				if b == v {
					t.addValue(r.Fn.(*ssa.Function).FreeVars[i])
				}
			}
		case *ssa.Phi:
			t.addValue(r)
		case *ssa.ChangeType:
			t.addValue(r)
		case *ssa.Store:
			if r.Val == v {
				t.store(r.Addr)
			}
		case *ssa.Return:
			t.ret(r, v)
		case *ssa.DebugRef, *ssa.BinOp, *ssa.If:
			// comparisons (ch == nil) and debug info do not move the channel
		default:
			t.escape("used in a way the model does not follow")
		}
	}
}

// call handles a channel passed to (or used as the callee of) a call.
func (t *tracker) call(ci ssa.CallInstruction, v ssa.Value) {
	c := ci.Common()
	fn := ci.Parent()
	if b, ok := c.Value.(*ssa.Builtin); ok {
		switch b.Name() {
		case "close":
			t.op(Op{Kind: OpClose, Instr: ci, Fn: fn})
		case "len", "cap":
		default:
			t.escape("passed to " + b.Name())
		}
		return
	}
	targets := t.m.targets(c)
	for i, a := range c.Args {
		if a != v {
			continue
		}
		if len(targets) == 0 {
			t.escape("passed to a function outside the package")
			continue
		}
		for _, g := range targets {
			idx := i
			if c.Signature().Recv() != nil && len(g.Params) == len(c.Args) {
				idx = i
			}
			if idx < len(g.Params) {
				t.addValue(g.Params[idx])
			} else {
				t.escape("passed as a variadic argument")
			}
		}
	}
}

// store handles the channel being written through a pointer.
func (t *tracker) store(addr ssa.Value) {
	switch a := addr.(type) {
	case *ssa.Alloc:
		t.addPtr(a)
	case *ssa.FieldAddr:
		f := FieldOf(a.X.Type(), a.Field)
		if f == nil {
			t.escape("stored through an unknown field")
			return
		}
		t.field(f)
	case *ssa.Global:
		if a.Object() != nil && t.m.Visible(a.Object()) {
			t.escape("stored in an exported variable")
			return
		}
		t.addPtr(a)
	default:
		if t.c.ptrs[addr] {
			return
		}
		t.escape("stored in memory the model does not follow")
	}
}

// field makes every load of f, anywhere in the package, an alias.
func (t *tracker) field(f *types.Var) {
	if t.fields[f] {
		return
	}
	t.fields[f] = true
	if t.m.Visible(f) {
		t.escape("stored in exported field " + f.Name())
	}
	for _, fn := range t.m.Funcs {
		for _, b := range fn.Blocks {
			for _, instr := range b.Instrs {
				switch x := instr.(type) {
				case *ssa.FieldAddr:
					if FieldOf(x.X.Type(), x.Field) == f {
						t.addPtr(x)
					}
				case *ssa.Field:
					if FieldOf(x.X.Type(), x.Field) == f {
						t.addValue(x)
					}
				}
			}
		}
	}
}

// pointer handles every use of a pointer whose pointee may hold the channel.
func (t *tracker) pointer(p ssa.Value) {
	refs := p.Referrers()
	if refs == nil {
		return
	}
	for _, ref := range *refs {
		switch r := ref.(type) {
		case *ssa.UnOp:
			if r.Op.String() == "*" {
				t.addValue(r)
			} else {
				t.escape("pointer used in a way the model does not follow")
			}
		case *ssa.Store:
			if r.Val == p {
				t.escape("pointer to the channel stored")
			}
			// a store through p writes another value: that value is tracked on its own
			if r.Val != p && r.Addr == p {
				if _, isChan := r.Val.Type().Underlying().(*types.Chan); !isChan {
					continue
				}
				if !t.fromMake(r.Val) {
					t.escape("shares a variable with a channel from elsewhere")
				}
			}
		case *ssa.MakeClosure:
			for i, b := range r.Bindings {
				if b == p {
					t.addPtr(r.Fn.(*ssa.Function).FreeVars[i])
				}
			}
		case *ssa.Call, *ssa.Defer, *ssa.Go:
			c := r.(ssa.CallInstruction).Common()
			targets := t.m.targets(c)
			for i, a := range c.Args {
				if a != p {
					continue
				}
				if len(targets) == 0 {
					t.escape("pointer passed outside the package")
					continue
				}
				for _, g := range targets {
					if i < len(g.Params) {
						t.addPtr(g.Params[i])
					}
				}
			}
		case *ssa.Phi:
			t.addPtr(r)
		case *ssa.DebugRef:
		default:
			// a field address whose struct is used elsewhere is fine: only
			// loads of the field itself matter
		}
	}
}

// fromMake reports whether v is a channel made in this package (directly or
// through a phi of such), or nil.
func (t *tracker) fromMake(v ssa.Value) bool {
	switch x := v.(type) {
	case *ssa.MakeChan:
		return true
	case *ssa.Const:
		return x.IsNil()
	case *ssa.Phi:
		for _, e := range x.Edges {
			if e != x && !t.fromMake(e) {
				return false
			}
		}
		return true
	case *ssa.UnOp:
		return t.c.Values[x]
	}
	return t.c.Values[v]
}

// ret follows a channel returned from a function to the callers' results.
func (t *tracker) ret(r *ssa.Return, v ssa.Value) {
	fn := r.Parent()
	if fn.Object() != nil && t.m.Visible(fn.Object()) {
		t.escape("returned from exported " + fn.Name())
	}
	if fn.Parent() == nil && fn.Object() == nil {
		t.escape("returned from a function the model does not follow")
	}
	for i, res := range r.Results {
		if res != v {
			continue
		}
		for _, ci := range t.m.callers[fn] {
			call, ok := ci.(*ssa.Call)
			if !ok {
				continue
			}
			if len(r.Results) == 1 {
				t.addValue(call)
				continue
			}
			for _, ref := range *call.Referrers() {
				if ex, ok := ref.(*ssa.Extract); ok && ex.Index == i {
					t.addValue(ex)
				}
			}
		}
	}
	// a function value that escapes (stored, passed on) has callers the
	// model cannot see
	if refs := fn.Referrers(); refs != nil {
		for _, ref := range *refs {
			if _, ok := ref.(*ssa.Call); !ok {
				t.escape("returned from a function used as a value")
			}
		}
	}
}
