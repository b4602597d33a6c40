package js

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dop251/goja"

	"github.com/gocli/gocli/perf/metrics"
)

// groupSep joins nested group names as k6 does ("::outer::inner").
const groupSep = "::"

func (vu *VU) k6Module() map[string]any {
	return map[string]any{
		"check": vu.check,
		"group": vu.groupFn,
		"sleep": vu.sleep,
		"fail": func(msg goja.Value) {
			m := ""
			if msg != nil && !goja.IsUndefined(msg) {
				m = msg.String()
			}
			panic(vu.rt.NewGoError(fmt.Errorf("%s", m)))
		},
		"randomSeed": func(seed int64) {
			r := rand.New(rand.NewPCG(uint64(seed), uint64(seed)))
			vu.rt.SetRandSource(r.Float64)
		},
	}
}

// check evaluates each named condition against val and records one checks
// sample per condition. It returns whether all passed.
func (vu *VU) check(val goja.Value, sets *goja.Object, extra *goja.Object) bool {
	if vu.inInit {
		vu.throw("check() can only be called from a VU function, not the init context")
	}
	if sets == nil {
		vu.typeError("check() needs an object of named conditions")
	}
	tagExtra := vu.tagsFromJS(extra)
	all := true
	for _, name := range sets.Keys() {
		cond := sets.Get(name)
		ok := false
		if fn, isFn := goja.AssertFunction(cond); isFn {
			res, err := fn(goja.Undefined(), val)
			if err != nil {
				panic(err)
			}
			ok = res.ToBoolean()
		} else {
			ok = cond.ToBoolean()
		}
		m := map[string]string{"check": name}
		for k, v := range tagExtra {
			m[k] = v
		}
		var v float64
		if ok {
			v = 1
		} else {
			all = false
		}
		vu.addSample(metrics.Checks, vu.tags(m), v)
	}
	vu.maybeFlush()
	return all
}

func (vu *VU) groupFn(name string, fn goja.Callable) goja.Value {
	if vu.inInit {
		vu.throw("group() can only be called from a VU function, not the init context")
	}
	if fn == nil {
		vu.typeError("group() needs a function")
	}
	prev := vu.group
	vu.group = prev + groupSep + name
	start := time.Now()
	defer func() { vu.group = prev }()
	res, err := fn(goja.Undefined())
	if err != nil {
		panic(err)
	}
	vu.addSample(metrics.GroupDuration, vu.tags(nil), float64(time.Since(start))/float64(time.Millisecond))
	return res
}

func (vu *VU) sleep(secs float64) {
	if secs <= 0 {
		return
	}
	vu.flush()
	t := time.NewTimer(time.Duration(secs * float64(time.Second)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-vu.ctx.Done():
		// The context's AfterFunc interrupts the runtime; stop here too.
		panic(vu.rt.NewGoError(ErrInterrupted))
	}
}

func (vu *VU) tagsFromJS(o *goja.Object) map[string]string {
	if o == nil {
		return nil
	}
	m := make(map[string]string)
	for _, k := range o.Keys() {
		m[k] = o.Get(k).String()
	}
	return m
}

func (vu *VU) metricsModule() map[string]any {
	mk := func(typ metrics.Type) func(goja.ConstructorCall) *goja.Object {
		return func(call goja.ConstructorCall) *goja.Object {
			if !vu.inInit {
				vu.throw("custom metrics must be created in the init context")
			}
			name := call.Argument(0).String()
			contains := metrics.Default
			if typ == metrics.Trend && call.Argument(1).ToBoolean() {
				contains = metrics.Time
			}
			m, err := vu.env.Registry.New(name, typ, contains)
			if err != nil {
				panic(vu.rt.NewGoError(err))
			}
			obj := call.This
			_ = obj.Set("name", name)
			_ = obj.Set("add", func(v goja.Value, tags *goja.Object) {
				if vu.inInit {
					vu.throw("metric %s: add() can only be called from a VU function", name)
				}
				var f float64
				switch typ {
				case metrics.Rate:
					if v.ToBoolean() {
						f = 1
					}
				default:
					f = v.ToFloat()
				}
				vu.samples = append(vu.samples, metrics.Sample{Metric: m, Tags: vu.tags(vu.tagsFromJS(tags)), Value: f})
				vu.maybeFlush()
			})
			return nil
		}
	}
	return map[string]any{
		"Counter": mk(metrics.Counter),
		"Gauge":   mk(metrics.Gauge),
		"Rate":    mk(metrics.Rate),
		"Trend":   mk(metrics.Trend),
	}
}

// executionModule is a small part of k6/execution: the VU and scenario
// numbers a script commonly uses to pick data.
func (vu *VU) executionModule() map[string]any {
	vuObj := vu.rt.NewObject()
	_ = vuObj.DefineAccessorProperty("idInTest", vu.rt.ToValue(func() int { return vu.ID }), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	_ = vuObj.DefineAccessorProperty("iterationInScenario", vu.rt.ToValue(func() int64 { return vu.iter }), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	sc := vu.rt.NewObject()
	_ = sc.DefineAccessorProperty("name", vu.rt.ToValue(func() string { return vu.scenario }), nil, goja.FLAG_FALSE, goja.FLAG_TRUE)
	return map[string]any{"vu": vuObj, "scenario": sc}
}
