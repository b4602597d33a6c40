package js

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dop251/goja"

	"github.com/gocli/gocli/consensus/rawconn"
	"github.com/gocli/gocli/perf/metrics"
)

// LogEntry is one console message or engine warning from a VU.
type LogEntry struct {
	Level string
	VU    int
	Msg   string
}

// HTTPOptions are the run-wide settings of k6/http.
type HTTPOptions struct {
	InsecureSkipVerify bool
	// Headers are added to every request that does not set them (a target's
	// headers from gocli.yaml).
	Headers       map[string]string
	MaxRedirects  int
	Timeout       time.Duration
	DiscardBodies bool
	UserAgent     string
	Batch         int
}

// Env is what the engine shares with every VU of a run.
type Env struct {
	Registry *metrics.Registry
	Store    *metrics.Store
	// Vars is __ENV.
	Vars map[string]string
	// Tags are added to every sample (options.tags).
	Tags map[string]string
	HTTP HTTPOptions
	// Log receives console output; it is called from VU goroutines.
	Log func(LogEntry)
}

func (e *Env) log(l LogEntry) {
	if e.Log != nil {
		e.Log(l)
	}
}

// VU is one virtual user: a goja runtime with the script's init context
// evaluated. A VU is used by one goroutine at a time.
type VU struct {
	ID  int
	prg *Program
	env *Env
	rt  *goja.Runtime

	exports  *goja.Object
	modules  map[string]*goja.Object
	inInit   bool
	ctx      context.Context
	iter     int64
	scenario string
	group    string
	setup    goja.Value

	jsonParse     goja.Callable
	jsonStringify goja.Callable

	jar          *lazyJar
	transport    *directTransport
	bytesRead    atomic.Int64
	bytesWritten atomic.Int64
	respCallback *expectedStatuses
	urls         urlCache
	userAgent    []string // the last User-Agent header's value

	// The context whose end interrupts the VU (see watch); running says
	// whether script code runs now. watchMu orders the two.
	watchMu   sync.Mutex
	running   bool
	watchCtx  context.Context
	stopWatch func() bool
	trace     *reqTrace
	samples   []metrics.Sample
	// seriesCache finds the store's series of the samples (see
	// metrics.SeriesCache).
	seriesCache   metrics.SeriesCache
	tagCache      map[tagKey]*metrics.TagSet
	reqTagCache   map[reqTagKey]*metrics.TagSet
	builtinMetric map[string]*metrics.Metric
	// m holds the built-in metrics a request or iteration records, looked
	// up once: a map lookup per sample was a measurable cost.
	m builtinMetrics
	// fn caches the callable of the last exported function run.
	fnName string
	fnVal  goja.Value
	fn     goja.Callable
}

type builtinMetrics struct {
	reqs, duration, blocked, connecting, tls, sending, waiting, receiving, failed *metrics.Metric
	dataSent, dataReceived, iterations, iterationDuration, scriptErrors           *metrics.Metric
}

// tagKey identifies the tag set of samples without extra tags.
type tagKey struct{ scenario, group string }

// NewVU creates a runtime and runs the script's init context in it. id is
// the VU number the script sees as __VU (0 for the VU that reads options and
// runs setup and teardown).
func NewVU(p *Program, env *Env, id int) (*VU, error) {
	vu := &VU{
		ID:            id,
		prg:           p,
		env:           env,
		rt:            goja.New(),
		modules:       make(map[string]*goja.Object),
		inInit:        true,
		ctx:           context.Background(),
		tagCache:      make(map[tagKey]*metrics.TagSet),
		reqTagCache:   make(map[reqTagKey]*metrics.TagSet),
		builtinMetric: make(map[string]*metrics.Metric),
		setup:         goja.Undefined(),
		trace:         newReqTrace(),
	}
	for _, m := range env.Registry.All() {
		vu.builtinMetric[m.Name] = m
	}
	b := vu.builtinMetric
	vu.m = builtinMetrics{
		reqs: b[metrics.HTTPReqs], duration: b[metrics.HTTPReqDuration], blocked: b[metrics.HTTPReqBlocked],
		connecting: b[metrics.HTTPReqConnecting], tls: b[metrics.HTTPReqTLSHandshaking], sending: b[metrics.HTTPReqSending],
		waiting: b[metrics.HTTPReqWaiting], receiving: b[metrics.HTTPReqReceiving], failed: b[metrics.HTTPReqFailed],
		dataSent: b[metrics.DataSent], dataReceived: b[metrics.DataReceived], iterations: b[metrics.Iterations],
		iterationDuration: b[metrics.IterationDuration], scriptErrors: b[metrics.ScriptErrors],
	}
	vu.initHTTP()
	rt := vu.rt
	rt.SetFieldNameMapper(fieldNames{goja.TagFieldNameMapper("js", true)})
	seed := uint64(time.Now().UnixNano()) + uint64(id)
	src := rand.New(rand.NewPCG(seed, uint64(id)))
	rt.SetRandSource(src.Float64)

	j := rt.Get("JSON").ToObject(rt)
	vu.jsonParse, _ = goja.AssertFunction(j.Get("parse"))
	vu.jsonStringify, _ = goja.AssertFunction(j.Get("stringify"))

	envObj := rt.NewObject()
	for k, v := range env.Vars {
		_ = envObj.Set(k, v)
	}
	vu.exports = rt.NewObject()
	module := rt.NewObject()
	_ = module.Set("exports", vu.exports)
	for name, v := range map[string]any{
		"__ENV":     envObj,
		"__VU":      id,
		"exports":   vu.exports,
		"module":    module,
		"__require": vu.require(p.Dir),
		"require":   vu.require(p.Dir),
		"open":      vu.open,
		"console":   vu.console(),
	} {
		if err := rt.Set(name, v); err != nil {
			return nil, fmt.Errorf("set global %s: %w", name, err)
		}
	}
	// __ITER is read through a getter: setting a global every iteration
	// allocates, and most scripts never read it.
	if err := rt.GlobalObject().DefineAccessorProperty("__ITER", rt.ToValue(func() int64 { return vu.iter }), nil, goja.FLAG_FALSE, goja.FLAG_TRUE); err != nil {
		return nil, fmt.Errorf("define __ITER: %w", err)
	}
	if _, err := rt.RunProgram(p.main); err != nil {
		vu.Close()
		return nil, exceptionError(err)
	}
	vu.inInit = false
	vu.flush()
	return vu, nil
}

// Close releases the VU's idle connections.
func (vu *VU) Close() {
	vu.unwatch()
	if vu.transport != nil {
		vu.transport.CloseIdleConnections()
	}
}

func (vu *VU) throw(format string, args ...any) {
	panic(vu.rt.NewGoError(fmt.Errorf(format, args...)))
}

func (vu *VU) typeError(format string, args ...any) {
	panic(vu.rt.NewTypeError(fmt.Sprintf(format, args...)))
}

// require is __require(spec, names): it returns the module's namespace and
// checks that every imported name exists, so an unsupported function is an
// error at load time rather than a silent undefined.
func (vu *VU) require(base string) func(spec string, names []string) goja.Value {
	return func(spec string, names []string) goja.Value {
		ns, err := vu.loadModule(base, spec)
		if err != nil {
			panic(vu.rt.NewGoError(err))
		}
		for _, n := range names {
			if n == "default" {
				if v := ns.Get("default"); v == nil || goja.IsUndefined(v) {
					vu.throw("module %q has no default export", spec)
				}
				continue
			}
			if !hasOwn(ns, n) {
				vu.throw("module %q has no export named %q (not supported by gocli)", spec, n)
			}
		}
		return ns
	}
}

func hasOwn(o *goja.Object, name string) bool {
	for _, k := range o.Keys() {
		if k == name {
			return true
		}
	}
	return false
}

// SupportedModules lists the built-in modules.
var SupportedModules = []string{"k6", "k6/http", "k6/metrics", "k6/execution", "k6/encoding"}

func (vu *VU) loadModule(base, spec string) (*goja.Object, error) {
	key := spec
	local := strings.HasPrefix(spec, "./") || strings.HasPrefix(spec, "../") || strings.HasPrefix(spec, "/")
	if local {
		key = vu.prg.resolve(base, spec)
	}
	if m, ok := vu.modules[key]; ok {
		return m, nil
	}
	var ns *goja.Object
	switch {
	case spec == "k6":
		ns = vu.builtin(spec, vu.k6Module())
	case spec == "k6/http":
		ns = vu.builtin(spec, vu.httpModule())
	case spec == "k6/metrics":
		ns = vu.builtin(spec, vu.metricsModule())
	case spec == "k6/execution":
		ns = vu.builtin(spec, vu.executionModule())
	case spec == "k6/encoding":
		ns = vu.builtin(spec, vu.encodingModule())
	case local:
		prg, err := vu.prg.module(key)
		if err != nil {
			return nil, err
		}
		ns = vu.rt.NewObject()
		vu.modules[key] = ns // before running: import cycles see a partial namespace
		fnv, err := vu.rt.RunProgram(prg)
		if err != nil {
			return nil, err
		}
		fn, _ := goja.AssertFunction(fnv)
		module := vu.rt.NewObject()
		_ = module.Set("exports", ns)
		if _, err := fn(goja.Undefined(), ns, module, vu.rt.ToValue(vu.require(filepath.Dir(key)))); err != nil {
			return nil, err
		}
		return ns, nil
	default:
		return nil, fmt.Errorf("unsupported module %q: gocli supports %s and local files (./file.js)", spec, strings.Join(SupportedModules, ", "))
	}
	vu.modules[key] = ns
	return ns, nil
}

// builtin wraps a module's functions in a namespace whose default export
// throws on unknown properties: "http.foo()" names foo instead of failing
// with "undefined is not a function".
func (vu *VU) builtin(spec string, fns map[string]any) *goja.Object {
	ns := vu.rt.NewObject()
	strict := &strictModule{vu: vu, spec: spec, vals: make(map[string]goja.Value, len(fns))}
	for k, v := range fns {
		val := vu.rt.ToValue(v)
		_ = ns.Set(k, val)
		strict.vals[k] = val
		strict.keys = append(strict.keys, k)
	}
	slices.Sort(strict.keys)
	_ = ns.Set("default", vu.rt.NewDynamicObject(strict))
	return ns
}

// strictModule is a module's default export. It is a dynamic object
// rather than a Proxy: "http.get" is read on every request, and a Proxy's
// get trap (with its invariant checks against the target) cost several
// lookups each time.
type strictModule struct {
	vu   *VU
	spec string
	vals map[string]goja.Value
	keys []string
	// lastKey and lastVal are the last property read: a script reads
	// the same one (http.get) request after request, and comparing a
	// short string costs less than the map lookup (a cache miss on the
	// map's memory with many VUs).
	lastKey string
	lastVal goja.Value
}

// Get implements goja.DynamicObject.
func (m *strictModule) Get(key string) goja.Value {
	if m.lastVal != nil && key == m.lastKey {
		return m.lastVal
	}
	if v, ok := m.vals[key]; ok {
		m.lastKey, m.lastVal = key, v
		return v
	}
	switch key {
	case "then", "toJSON", "constructor", "default", "__esModule":
		return nil
	}
	m.vu.typeError("%s.%s is not supported by gocli", m.spec, key)
	return nil
}

// Set implements goja.DynamicObject: scripts may add properties.
func (m *strictModule) Set(key string, v goja.Value) bool {
	if _, ok := m.vals[key]; !ok {
		m.keys = append(m.keys, key)
	}
	m.vals[key] = v
	m.lastVal = nil
	return true
}

// Has implements goja.DynamicObject.
func (m *strictModule) Has(key string) bool {
	_, ok := m.vals[key]
	return ok
}

// Delete implements goja.DynamicObject.
func (m *strictModule) Delete(key string) bool {
	if _, ok := m.vals[key]; ok {
		delete(m.vals, key)
		m.keys = slices.DeleteFunc(m.keys, func(k string) bool { return k == key })
		m.lastVal = nil
	}
	return true
}

// Keys implements goja.DynamicObject.
func (m *strictModule) Keys() []string { return slices.Clone(m.keys) }

func (vu *VU) open(path string, mode string) goja.Value {
	if !vu.inInit {
		vu.throw("open() can only be called in the init context (outside of functions)")
	}
	abs := vu.prg.resolve(vu.prg.Dir, path)
	b, err := vu.prg.readFile(abs)
	if err != nil {
		vu.throw("open %q: %v", path, err)
	}
	if mode == "b" {
		return vu.rt.ToValue(vu.rt.NewArrayBuffer(append([]byte(nil), b...)))
	}
	return vu.rt.ToValue(string(b))
}

func (vu *VU) console() *goja.Object {
	c := vu.rt.NewObject()
	for _, level := range []string{"log", "info", "warn", "error", "debug"} {
		lv := level
		if lv == "log" {
			lv = "info"
		}
		_ = c.Set(level, func(call goja.FunctionCall) goja.Value {
			parts := make([]string, len(call.Arguments))
			for i, a := range call.Arguments {
				parts[i] = vu.format(a)
			}
			vu.env.log(LogEntry{Level: lv, VU: vu.ID, Msg: strings.Join(parts, " ")})
			return goja.Undefined()
		})
	}
	return c
}

func (vu *VU) format(v goja.Value) string {
	if o, ok := v.(*goja.Object); ok && o.ClassName() != "Function" && o.ClassName() != "Error" {
		if s, err := vu.jsonStringify(goja.Undefined(), v); err == nil && !goja.IsUndefined(s) {
			return s.String()
		}
	}
	return v.String()
}

// Has reports whether the script exports a function of that name.
func (vu *VU) Has(name string) bool {
	_, ok := goja.AssertFunction(vu.exports.Get(name))
	return ok
}

// Options returns the script's exported options as JSON (null when none).
func (vu *VU) Options() (json.RawMessage, error) {
	o := vu.exports.Get("options")
	if o == nil || goja.IsUndefined(o) {
		return json.RawMessage("null"), nil
	}
	s, err := vu.jsonStringify(goja.Undefined(), o)
	if err != nil {
		return nil, exceptionError(err)
	}
	return json.RawMessage(s.String()), nil
}

// SetSetupData gives the VU the JSON result of setup(), passed to every
// iteration's function.
func (vu *VU) SetSetupData(data json.RawMessage) error {
	if len(data) == 0 || string(data) == "null" {
		vu.setup = goja.Undefined()
		return nil
	}
	v, err := vu.jsonParse(goja.Undefined(), vu.rt.ToValue(string(data)))
	if err != nil {
		return fmt.Errorf("setup data: %w", err)
	}
	vu.setup = v
	return nil
}

// Iteration says what to run.
type Iteration struct {
	Scenario string
	Exec     string // exported function; "default" when empty
	Iter     int64  // __ITER: this VU's iteration number in the scenario
}

// ErrInterrupted means the iteration was stopped by its context.
var ErrInterrupted = errors.New("iteration interrupted")

// RunIteration runs one iteration and records iterations and
// iteration_duration. A JavaScript exception is returned as a *ScriptError
// and counted in script_errors; the VU stays usable.
func (vu *VU) RunIteration(ctx context.Context, it Iteration) error {
	exec := it.Exec
	if exec == "" {
		exec = "default"
	}
	// AssertFunction allocates a wrapper: keep it while the export is
	// the same function.
	fv := vu.exports.Get(exec)
	if exec != vu.fnName || fv != vu.fnVal || vu.fn == nil {
		fn, ok := goja.AssertFunction(fv)
		if !ok {
			return &ScriptError{Msg: fmt.Sprintf("the script exports no function %q", exec)}
		}
		vu.fnName, vu.fnVal, vu.fn = exec, fv, fn
	}
	fn := vu.fn
	vu.iter = it.Iter
	vu.scenario = it.Scenario
	vu.group = ""
	start := time.Now()
	_, err := vu.call(ctx, fn, vu.setup)
	end := time.Now()
	tags := vu.tags(nil)
	if errors.Is(err, ErrInterrupted) {
		vu.flushAt(end)
		return err
	}
	if err != nil {
		vu.add(vu.m.scriptErrors, tags, 1)
	}
	vu.add(vu.m.iterations, tags, 1)
	vu.add(vu.m.iterationDuration, tags, float64(end.Sub(start))/float64(time.Millisecond))
	vu.flushAt(end)
	return err
}

// Call runs an exported function (setup or teardown) with optional JSON
// data and returns its result as JSON.
func (vu *VU) Call(ctx context.Context, name string, data json.RawMessage) (json.RawMessage, error) {
	fn, ok := goja.AssertFunction(vu.exports.Get(name))
	if !ok {
		return nil, nil
	}
	vu.scenario = ""
	vu.group = ""
	arg := goja.Undefined()
	if len(data) > 0 && string(data) != "null" {
		v, err := vu.jsonParse(goja.Undefined(), vu.rt.ToValue(string(data)))
		if err != nil {
			return nil, fmt.Errorf("%s data: %w", name, err)
		}
		arg = v
	}
	res, err := vu.call(ctx, fn, arg)
	vu.flush()
	if err != nil {
		return nil, err
	}
	if res == nil || goja.IsUndefined(res) {
		return nil, nil
	}
	s, err := vu.jsonStringify(goja.Undefined(), res)
	if err != nil {
		return nil, fmt.Errorf("%s() result is not serializable: %w", name, exceptionError(err))
	}
	if goja.IsUndefined(s) {
		return nil, nil
	}
	return json.RawMessage(s.String()), nil
}

// call runs fn with the VU's runtime interrupted when ctx ends.
func (vu *VU) call(ctx context.Context, fn goja.Callable, arg goja.Value) (goja.Value, error) {
	vu.ctx = ctx
	vu.watch(ctx)
	vu.watchMu.Lock()
	vu.running = true
	if ctx.Err() != nil {
		// Ended before this call: the watcher may have fired while idle.
		vu.rt.Interrupt(ErrInterrupted)
	}
	vu.watchMu.Unlock()
	res, err := fn(goja.Undefined(), arg)
	vu.watchMu.Lock()
	vu.running = false
	vu.watchMu.Unlock()
	vu.rt.ClearInterrupt()
	vu.ctx = context.Background()
	if err != nil {
		var ie *goja.InterruptedError
		if errors.As(err, &ie) || ctx.Err() != nil {
			return nil, ErrInterrupted
		}
		return nil, exceptionError(err)
	}
	return res, nil
}

// watch makes sure the end of ctx interrupts the VU while it runs script
// code. The callback is registered once per context, not per call: every
// VU of a scenario shares the scenario's context, and registering and
// removing a callback on it each iteration contended on its lock.
func (vu *VU) watch(ctx context.Context) {
	if vu.stopWatch != nil && vu.watchCtx == ctx { // watchCtx is written only by this goroutine
		return
	}
	vu.unwatch()
	vu.watchMu.Lock()
	vu.watchCtx = ctx
	vu.watchMu.Unlock()
	vu.stopWatch = context.AfterFunc(ctx, func() {
		vu.watchMu.Lock()
		defer vu.watchMu.Unlock()
		// A late callback of an earlier context must not interrupt a
		// call under the next one.
		if vu.running && vu.watchCtx == ctx {
			vu.rt.Interrupt(ErrInterrupted)
			vu.transport.abort()
		}
	})
}

// unwatch removes the callback of the last context.
func (vu *VU) unwatch() {
	if vu.stopWatch != nil {
		vu.stopWatch()
		vu.stopWatch = nil
	}
	vu.watchMu.Lock()
	vu.watchCtx = nil
	vu.watchMu.Unlock()
}

// tags returns the tag set for a sample: run tags, scenario, group and the
// given extra tags. Sets without extras are cached per scenario and group.
func (vu *VU) tags(extra map[string]string) *metrics.TagSet {
	if len(extra) == 0 {
		key := tagKey{vu.scenario, vu.group}
		if ts, ok := vu.tagCache[key]; ok {
			return ts
		}
		ts := metrics.NewTagSet(vu.tagMap(nil))
		vu.tagCache[key] = ts
		return ts
	}
	return metrics.NewTagSet(vu.tagMap(extra))
}

func (vu *VU) tagMap(extra map[string]string) map[string]string {
	m := make(map[string]string, len(vu.env.Tags)+len(extra)+2)
	for k, v := range vu.env.Tags {
		m[k] = v
	}
	if vu.scenario != "" {
		m["scenario"] = vu.scenario
	}
	if vu.group != "" {
		m["group"] = vu.group
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func (vu *VU) addSample(name string, tags *metrics.TagSet, v float64) {
	vu.add(vu.builtinMetric[name], tags, v)
}

func (vu *VU) add(m *metrics.Metric, tags *metrics.TagSet, v float64) {
	vu.samples = append(vu.samples, metrics.Sample{Metric: m, Tags: tags, Value: v})
}

func (vu *VU) flush() { vu.flushAt(time.Now()) }

// flushAt hands the buffered samples to the store as taken at now.
func (vu *VU) flushAt(now time.Time) {
	if len(vu.samples) == 0 {
		return
	}
	vu.env.Store.AddCached(now, &vu.seriesCache, vu.samples...)
	vu.samples = vu.samples[:0]
}

// maybeFlush bounds the buffer of a long iteration so progress stays live.
func (vu *VU) maybeFlush() {
	if len(vu.samples) >= 256 {
		vu.flush()
	}
}

type countingConn struct {
	net.Conn
	vu *VU
}

// NetConn returns the wrapped connection (the transport checks an idle
// connection's socket before reusing it).
func (c *countingConn) NetConn() net.Conn { return c.Conn }

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.vu.bytesRead.Add(int64(n))
	return n, err
}

// countWritten counts bytes the transport wrote on the socket itself.
func (c *countingConn) countWritten(n int) { c.vu.bytesWritten.Add(int64(n)) }

func (c *countingConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.vu.bytesWritten.Add(int64(n))
	return n, err
}

func (vu *VU) initHTTP() {
	d := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		// Raw socket I/O: see consensus/rawconn. A load generator's CPU
		// per request is a limit on the load it can make.
		return &countingConn{Conn: rawconn.Wrap(c), vu: vu}, nil
	}
	// A VU makes one request at a time, or up to options.batch at once.
	idle := max(32, vu.env.HTTP.Batch)
	tr.MaxIdleConnsPerHost = idle
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: vu.env.HTTP.InsecureSkipVerify} //nolint:gosec // the user asked for it per target
	vu.transport = newDirectTransport(tr, idle)
	jar, _ := cookiejar.New(nil)
	vu.jar = &lazyJar{jar: jar}
}

// lazyJar is a cookie jar that answers an empty list without looking
// until a response has set a cookie: the lookup (host canonicalisation
// and a lock) runs for every request, and most load tests set none.
type lazyJar struct {
	jar  *cookiejar.Jar
	used atomic.Bool
}

func (j *lazyJar) SetCookies(u *url.URL, cookies []*http.Cookie) {
	if len(cookies) > 0 {
		j.used.Store(true)
		j.jar.SetCookies(u, cookies)
	}
}

func (j *lazyJar) Cookies(u *url.URL) []*http.Cookie {
	if !j.used.Load() {
		return nil
	}
	return j.jar.Cookies(u)
}

// fieldNames maps Go names to JavaScript ones: struct fields by their js
// tag, methods with the first letter lowered, except initialisms such as
// JSON, which become all lower-case (response.json()).
type fieldNames struct{ goja.FieldNameMapper }

// MethodName lowers initialisms whole and other names' first letter.
func (m fieldNames) MethodName(t reflect.Type, meth reflect.Method) string {
	if strings.ToUpper(meth.Name) == meth.Name {
		return strings.ToLower(meth.Name)
	}
	return m.FieldNameMapper.MethodName(t, meth)
}
