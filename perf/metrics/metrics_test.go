package metrics

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseThreshold(t *testing.T) {
	tests := []struct {
		src     string
		typ     Type
		sink    Sink
		want    float64
		pass    bool
		wantErr bool
	}{
		{src: "avg<200", typ: Trend, sink: Sink{Count: 2, Sum: 300}, want: 150, pass: true},
		{src: "avg < 100", typ: Trend, sink: Sink{Count: 2, Sum: 300}, want: 150, pass: false},
		{src: "rate<0.01", typ: Rate, sink: Sink{Count: 100, Trues: 1}, want: 0.01, pass: false},
		{src: "rate<=0.01", typ: Rate, sink: Sink{Count: 100, Trues: 1}, want: 0.01, pass: true},
		{src: "count>=10", typ: Counter, sink: Sink{Sum: 10, Count: 10}, want: 10, pass: true},
		{src: "max>5", typ: Trend, sink: Sink{Count: 1, Max: 4}, want: 4, pass: false},
		{src: "value==3", typ: Gauge, sink: Sink{Count: 1, Last: 3}, want: 3, pass: true},
		{src: "p(95)<", wantErr: true},
		{src: "p(101)<5", wantErr: true},
		{src: "foo<5", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			th, err := ParseThreshold(tt.src)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseThreshold(%q) succeeded, want error", tt.src)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := th.validFor(tt.typ); err != nil {
				t.Fatal(err)
			}
			got := th.Aggregate(tt.typ, &tt.sink, time.Second)
			if got != tt.want {
				t.Errorf("aggregate = %v, want %v", got, tt.want)
			}
			if th.Pass(got) != tt.pass {
				t.Errorf("pass = %v, want %v", th.Pass(got), tt.pass)
			}
		})
	}
}

func TestThresholdWrongAggregation(t *testing.T) {
	th, err := ParseThreshold("p(95)<5")
	if err != nil {
		t.Fatal(err)
	}
	if err := th.validFor(Rate); err == nil {
		t.Fatal("p(95) on a rate accepted")
	}
}

func TestParseMetricKey(t *testing.T) {
	name, sel, err := ParseMetricKey(`http_req_duration{status:200, name:"http://x/a?b=c"}`)
	if err != nil {
		t.Fatal(err)
	}
	if name != "http_req_duration" || sel["status"] != "200" || sel["name"] != "http://x/a?b=c" {
		t.Fatalf("got %q %v", name, sel)
	}
	if _, _, err := ParseMetricKey("x{status}"); err == nil {
		t.Fatal("selector without value accepted")
	}
}

func TestParseThresholds(t *testing.T) {
	raw := map[string]json.RawMessage{
		"http_req_failed":   json.RawMessage(`["rate<0.01"]`),
		"http_req_duration": json.RawMessage(`[{"threshold":"p(99)<1500","abortOnFail":true,"delayAbortEval":"10s"}, "avg<100"]`),
	}
	ths, err := ParseThresholds(raw)
	if err != nil {
		t.Fatal(err)
	}
	if len(ths) != 2 || ths[0].Metric != "http_req_duration" || len(ths[0].Thresholds) != 2 {
		t.Fatalf("got %+v", ths)
	}
	if !ths[0].Thresholds[0].AbortOnFail || ths[0].Thresholds[0].DelayAbortEval != 10*time.Second {
		t.Fatalf("abort options lost: %+v", ths[0].Thresholds[0])
	}
}

func TestEvaluateSubMetric(t *testing.T) {
	reg := NewRegistry()
	s := NewStore(reg, time.Now())
	dur, _ := reg.Get(HTTPReqDuration)
	ok := NewTagSet(map[string]string{"status": "200"})
	bad := NewTagSet(map[string]string{"status": "500"})
	for i := 0; i < 10; i++ {
		s.Add(time.Now(), Sample{dur, ok, 10}, Sample{dur, bad, 900})
	}
	raw := map[string]json.RawMessage{
		"http_req_duration{status:200}": json.RawMessage(`["max<20"]`),
		"http_req_duration":             json.RawMessage(`["max<20"]`),
	}
	ths, err := ParseThresholds(raw)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := Evaluate(s, ths)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range vs {
		got[v.Key] = v.Passed
	}
	if got["http_req_duration"] || !got["http_req_duration{status:200}"] {
		t.Fatalf("verdicts %+v", vs)
	}
	if _, err := Evaluate(s, []*MetricThresholds{{Key: "nope", Metric: "nope", Thresholds: ths[0].Thresholds}}); err == nil {
		t.Fatal("threshold on an unknown metric accepted")
	}
}

// Splitting samples over two stores, encoding them and merging must give the
// same aggregates as one store holding all samples.
func TestMergeIsExact(t *testing.T) {
	start := time.Unix(1700000000, 0)
	reg := NewRegistry()
	whole := NewStore(reg, start)
	parts := []*Store{NewStore(NewRegistry(), start), NewStore(NewRegistry(), start)}
	dur, _ := reg.Get(HTTPReqDuration)
	reqs, _ := reg.Get(HTTPReqs)
	failed, _ := reg.Get(HTTPReqFailed)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		v := rng.ExpFloat64() * 30
		tags := NewTagSet(map[string]string{"status": []string{"200", "404"}[i%2]})
		now := start.Add(time.Duration(i) * time.Millisecond)
		smp := []Sample{{dur, tags, v}, {reqs, tags, 1}, {failed, tags, float64(i % 2)}}
		whole.Add(now, smp...)
		p := parts[rng.IntN(2)]
		pm := func(m *Metric) *Metric { x, _ := p.Registry.Get(m.Name); return x }
		p.Add(now, Sample{pm(dur), tags, v}, Sample{pm(reqs), tags, 1}, Sample{pm(failed), tags, float64(i % 2)})
	}
	merged := NewStore(NewRegistry(), start)
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var back Store
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if err := merged.Merge(&back); err != nil {
			t.Fatal(err)
		}
	}
	for _, sel := range []map[string]string{nil, {"status": "404"}} {
		_, a, _ := whole.Query(HTTPReqDuration, sel)
		_, b, _ := merged.Query(HTTPReqDuration, sel)
		for _, p := range []float64{0, 50, 90, 95, 99, 99.9, 100} {
			if a.Percentile(p) != b.Percentile(p) {
				t.Errorf("sel %v p(%v): whole %v merged %v", sel, p, a.Percentile(p), b.Percentile(p))
			}
		}
		if a.Count != b.Count || a.Min != b.Min || a.Max != b.Max {
			t.Errorf("sel %v: whole %+v merged %+v", sel, a, b)
		}
		if d := a.Sum - b.Sum; d > 1e-6 || d < -1e-6 {
			t.Errorf("sum whole %v merged %v", a.Sum, b.Sum)
		}
	}
	if whole.Total(HTTPReqs) != merged.Total(HTTPReqs) || merged.Total(HTTPReqs) != 20000 {
		t.Errorf("reqs whole %v merged %v", whole.Total(HTTPReqs), merged.Total(HTTPReqs))
	}
	_, fa, _ := whole.Query(HTTPReqFailed, nil)
	_, fb, _ := merged.Query(HTTPReqFailed, nil)
	if fa.RateValue() != fb.RateValue() || fb.RateValue() != 0.5 {
		t.Errorf("failed rate whole %v merged %v", fa.RateValue(), fb.RateValue())
	}
	wb, mb := whole.Buckets(), merged.Buckets()
	if len(wb) != len(mb) {
		t.Fatalf("buckets %d vs %d", len(wb), len(mb))
	}
	for i := range wb {
		if wb[i].Requests != mb[i].Requests || wb[i].DurationPercentile(99) != mb[i].DurationPercentile(99) {
			t.Errorf("bucket %d differs: %+v vs %+v", i, wb[i], mb[i])
		}
	}
}

func TestPercentileAccuracy(t *testing.T) {
	reg := NewRegistry()
	s := NewStore(reg, time.Now())
	dur, _ := reg.Get(HTTPReqDuration)
	for i := 1; i <= 1000; i++ {
		s.Add(time.Now(), Sample{dur, nil, float64(i) / 10})
	}
	_, k, _ := s.Query(HTTPReqDuration, nil)
	for _, c := range []struct{ p, want float64 }{{50, 50}, {90, 90}, {99, 99}} {
		got := k.Percentile(c.p)
		if d := (got - c.want) / c.want; d > 0.001 || d < -0.001 {
			t.Errorf("p(%v) = %v, want %v within 0.1%%", c.p, got, c.want)
		}
	}
	if k.Min != 0.1 || k.Max != 100 {
		t.Errorf("min/max %v %v", k.Min, k.Max)
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30s": 30 * time.Second, "1m30s": 90 * time.Second, "1500": 1500 * time.Millisecond, "1d2h": 26 * time.Hour} {
		got, err := ParseDuration(in)
		if err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseDuration("soon"); err == nil {
		t.Error("accepted 'soon'")
	}
}

func TestRegistryMetricNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"my_counter", true},
		{"latency.p99 (ms)", true},
		{"durée", true},
		{strings.Repeat("a", 128), true},
		{"", false},
		{strings.Repeat("a", 129), false},
		{"bad\nname", false},
		{"semi;colon", false},
	} {
		_, err := NewRegistry().New(tc.name, Counter, Default)
		if (err == nil) != tc.ok {
			t.Errorf("New(%q): err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// A SeriesCache gives the same result as the store's own lookup: batches
// whose samples change places, tag sets equal by value but not by pointer,
// nil tags, a second store and a store replaced by UnmarshalJSON.
func TestAddCachedMatchesAdd(t *testing.T) {
	reg := NewRegistry()
	m, err := reg.New("reqs", Counter, Default)
	if err != nil {
		t.Fatal(err)
	}
	d, err := reg.New("dur", Trend, Time)
	if err != nil {
		t.Fatal(err)
	}
	a := NewTagSet(map[string]string{"name": "a"})
	a2 := NewTagSet(map[string]string{"name": "a"}) // same tags, another pointer
	b := NewTagSet(map[string]string{"name": "b"})
	batches := [][]Sample{
		{{m, a, 1}, {d, a, 10}, {m, nil, 1}},
		{{m, a, 1}, {d, a, 20}, {m, nil, 1}},
		{{d, a, 30}, {m, a, 1}},                                     // places swapped
		{{m, b, 1}, {d, a2, 40}, {m, a, 1}, {m, nil, 1}, {d, b, 5}}, // longer
		{{m, a2, 1}},
	}
	now := time.Now()
	plain, cached, other := NewStore(reg, now), NewStore(reg, now), NewStore(reg, now)
	var c SeriesCache
	for _, batch := range batches {
		plain.Add(now, batch...)
		cached.AddCached(now, &c, batch...)
		other.AddCached(now, &c, batch[:1]...) // the cache moves between stores
	}
	plain.SetEnd(now.Add(time.Second))
	cached.SetEnd(now.Add(time.Second))
	want, err := json.Marshal(plain)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(cached)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("with a cache:\n%s\nwithout:\n%s", got, want)
	}
	if n := other.Total("reqs"); n != 4 {
		t.Errorf("second store: reqs = %v, want 4", n)
	}

	// A store whose contents UnmarshalJSON replaced does not take series
	// from a cache filled before.
	cached.AddCached(now, &c, batches[0]...)
	if err := cached.UnmarshalJSON(want); err != nil {
		t.Fatal(err)
	}
	m2, _ := cached.Registry.Get("reqs")
	cached.AddCached(now, &c, Sample{m2, a, 1})
	if n := cached.Total("reqs"); n != plain.Total("reqs")+1 {
		t.Errorf("after UnmarshalJSON: reqs = %v, want %v", n, plain.Total("reqs")+1)
	}
}
