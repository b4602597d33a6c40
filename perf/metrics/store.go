package metrics

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Series is the aggregate of one metric with one set of tags.
type Series struct {
	Metric *Metric
	Tags   *TagSet
	Sink   *Sink
	// Seq orders series by first appearance, so reports list checks and
	// groups in the order the script ran them.
	Seq int
}

// Bucket aggregates one second of the run for the time-series plots.
type Bucket struct {
	Second     int
	Requests   int64
	Failed     int64
	Iterations int64
	Dropped    int64
	Errors     int64
	VUs        int64
	Status     map[string]int64
	duration   *hdr.Histogram
}

// DurationPercentile returns a percentile of http_req_duration within the
// bucket, in milliseconds.
func (b *Bucket) DurationPercentile(p float64) float64 {
	if b.duration == nil || b.duration.TotalCount() == 0 {
		return 0
	}
	return float64(b.duration.ValueAtPercentile(p)) / trendScale
}

// Store is the set of all series and time buckets of a run. It is safe for
// concurrent use.
type Store struct {
	Registry *Registry

	mu     sync.Mutex
	start  time.Time
	end    time.Time
	series map[*Metric]map[string]*Series
	// byPtr finds the series of a (metric, tag set) pair without hashing
	// the set's key string: VUs reuse their tag sets, so the pointers
	// repeat. Bounded, since sets built per sample (custom tags) do not.
	byPtr   map[seriesPtr]*Series
	buckets map[int]*Bucket
	seq     int
	// id tells a SeriesCache which store (and which contents, since
	// UnmarshalJSON replaces them) its series belong to.
	id uint64
}

// storeIDs numbers stores for SeriesCache.
var storeIDs atomic.Uint64

type seriesPtr struct {
	m *Metric
	t *TagSet
}

// maxSeriesPtrs bounds Store.byPtr.
const maxSeriesPtrs = 4096

// NewStore returns an empty store whose time buckets count from start.
func NewStore(reg *Registry, start time.Time) *Store {
	return &Store{
		Registry: reg,
		start:    start,
		series:   make(map[*Metric]map[string]*Series),
		buckets:  make(map[int]*Bucket),
		id:       storeIDs.Add(1),
	}
}

// Start returns the time the run started.
func (s *Store) Start() time.Time { return s.start }

// SetEnd records when the run ended; rates are computed over start..end.
func (s *Store) SetEnd(t time.Time) {
	s.mu.Lock()
	s.end = t
	s.mu.Unlock()
}

// Duration returns the length of the run (up to now while it is running).
func (s *Store) Duration() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.durationLocked()
}

func (s *Store) durationLocked() time.Duration {
	if s.end.IsZero() {
		return time.Since(s.start)
	}
	return s.end.Sub(s.start)
}

// Add records samples taken at now.
func (s *Store) Add(now time.Time, samples ...Sample) {
	s.AddCached(now, nil, samples...)
}

// SeriesCache remembers the series of the samples of one caller's last
// batch, by position. A VU adds the same metrics with the same tag sets in
// the same order iteration after iteration: the cache finds each series
// by comparing two pointers, where the store's own lookup hashes them
// (about a third of the store's time per sample). A cache belongs to one
// caller, which passes it to one store at a time; the store reads and
// updates it under its lock. The zero value is ready to use.
type SeriesCache struct {
	store  uint64
	keys   []seriesPtr
	series []*Series
}

// AddCached records samples taken at now, like Add, finding their series
// through c first when c is not nil.
func (s *Store) AddCached(now time.Time, c *SeriesCache, samples ...Sample) {
	if len(samples) == 0 {
		return
	}
	sec := int(now.Sub(s.start) / time.Second)
	if sec < 0 {
		sec = 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[sec]
	if b == nil {
		b = &Bucket{Second: sec}
		s.buckets[sec] = b
	}
	if c != nil && c.store != s.id {
		c.store, c.keys, c.series = s.id, c.keys[:0], c.series[:0]
	}
	for i := range samples {
		sm := &samples[i]
		key := seriesPtr{sm.Metric, sm.Tags}
		var ser *Series
		if c != nil && i < len(c.keys) && c.keys[i] == key {
			ser = c.series[i]
		} else {
			ser = s.seriesOf(sm)
			if c != nil {
				if i < len(c.keys) {
					c.keys[i], c.series[i] = key, ser
				} else if i == len(c.keys) {
					c.keys, c.series = append(c.keys, key), append(c.series, ser)
				}
			}
		}
		ser.Sink.add(sm.Metric.Type, sm.Value)
		s.bucketAdd(b, sm)
	}
}

// seriesOf returns the series of a sample's metric and tags, creating it
// on first use. The caller holds s.mu.
func (s *Store) seriesOf(sm *Sample) *Series {
	if s.byPtr == nil {
		s.byPtr = make(map[seriesPtr]*Series)
	}
	if ser := s.byPtr[seriesPtr{sm.Metric, sm.Tags}]; ser != nil {
		return ser
	}
	byTags := s.series[sm.Metric]
	if byTags == nil {
		byTags = make(map[string]*Series)
		s.series[sm.Metric] = byTags
	}
	key := sm.Tags.Key()
	ser := byTags[key]
	if ser == nil {
		tags := sm.Tags
		if tags == nil {
			tags = NewTagSet(nil)
		}
		s.seq++
		ser = &Series{Metric: sm.Metric, Tags: tags, Sink: &Sink{}, Seq: s.seq}
		byTags[key] = ser
	}
	if sm.Tags != nil {
		if len(s.byPtr) >= maxSeriesPtrs {
			clear(s.byPtr)
		}
		s.byPtr[seriesPtr{sm.Metric, sm.Tags}] = ser
	}
	return ser
}

func (s *Store) bucketAdd(b *Bucket, sm *Sample) {
	switch sm.Metric.Name {
	case HTTPReqs:
		b.Requests += int64(sm.Value)
		if st, ok := sm.Tags.Get("status"); ok {
			if b.Status == nil {
				b.Status = make(map[string]int64)
			}
			b.Status[st] += int64(sm.Value)
		}
	case HTTPReqFailed:
		if sm.Value != 0 {
			b.Failed++
		}
	case HTTPReqDuration:
		if b.duration == nil {
			b.duration = hdr.New(1, histHighest, bucketSigFig)
		}
		b.duration.RecordValue(scaleTrend(sm.Value)) //nolint:errcheck // clamped
	case Iterations:
		b.Iterations += int64(sm.Value)
	case DroppedIterations:
		b.Dropped += int64(sm.Value)
	case ScriptErrors:
		b.Errors += int64(sm.Value)
	case VUs:
		if v := int64(sm.Value); v > b.VUs {
			b.VUs = v
		}
	}
}

// Query returns the aggregate of every series of the named metric whose tags
// include sel (all series when sel is empty). The result is a copy.
func (s *Store) Query(name string, sel map[string]string) (*Metric, *Sink, bool) {
	m, ok := s.Registry.Get(name)
	if !ok {
		return nil, nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &Sink{}
	for _, ser := range s.series[m] {
		if ser.Tags.Matches(sel) {
			out.merge(m.Type, ser.Sink)
		}
	}
	return m, out, true
}

// Total returns a quick aggregate used for progress: the sum of a counter or
// the number of true samples of a rate.
func (s *Store) Total(name string) float64 {
	m, ok := s.Registry.Get(name)
	if !ok {
		return 0
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var t float64
	for _, ser := range s.series[m] {
		switch m.Type {
		case Counter:
			t += ser.Sink.Sum
		case Rate:
			t += float64(ser.Sink.Trues)
		default:
			t += float64(ser.Sink.Count)
		}
	}
	return t
}

// Series returns a copy of every series, sorted by metric name and tags.
func (s *Store) Series() []Series {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Series
	for m, byTags := range s.series {
		for _, ser := range byTags {
			out = append(out, Series{Metric: m, Tags: ser.Tags, Sink: ser.Sink.clone(), Seq: ser.Seq})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Metric.Name != out[j].Metric.Name {
			return out[i].Metric.Name < out[j].Metric.Name
		}
		return out[i].Tags.Key() < out[j].Tags.Key()
	})
	return out
}

// Buckets returns copies of the time buckets in order, with empty seconds
// filled in.
func (s *Store) Buckets() []Bucket {
	s.mu.Lock()
	defer s.mu.Unlock()
	last := -1
	for sec := range s.buckets {
		if sec > last {
			last = sec
		}
	}
	out := make([]Bucket, 0, last+1)
	for sec := 0; sec <= last; sec++ {
		if b := s.buckets[sec]; b != nil {
			c := *b
			if b.duration != nil {
				c.duration = b.duration.Clone()
			}
			out = append(out, c)
		} else {
			out = append(out, Bucket{Second: sec})
		}
	}
	return out
}

// Merge adds every series and bucket of o into s. Run durations combine as
// the longest, since segments run side by side.
func (s *Store) Merge(o *Store) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	for om, byTags := range o.series {
		m, err := s.Registry.New(om.Name, om.Type, om.Contains)
		if err != nil {
			return fmt.Errorf("merge metric %s: %w", om.Name, err)
		}
		dst := s.series[m]
		if dst == nil {
			dst = make(map[string]*Series)
			s.series[m] = dst
		}
		for key, ser := range byTags {
			d := dst[key]
			if d == nil {
				s.seq++
				d = &Series{Metric: m, Tags: ser.Tags, Sink: &Sink{}, Seq: ser.Seq}
				dst[key] = d
			}
			if m.Name == VUs || m.Name == VUsMax {
				// Segments run side by side: their VUs add up.
				d.Sink.addParallel(ser.Sink)
				continue
			}
			d.Sink.merge(m.Type, ser.Sink)
		}
	}
	for sec, ob := range o.buckets {
		b := s.buckets[sec]
		if b == nil {
			b = &Bucket{Second: sec}
			s.buckets[sec] = b
		}
		b.Requests += ob.Requests
		b.Failed += ob.Failed
		b.Iterations += ob.Iterations
		b.Dropped += ob.Dropped
		b.Errors += ob.Errors
		b.VUs += ob.VUs
		for st, n := range ob.Status {
			if b.Status == nil {
				b.Status = make(map[string]int64)
			}
			b.Status[st] += n
		}
		if ob.duration != nil {
			if b.duration == nil {
				b.duration = hdr.New(1, histHighest, bucketSigFig)
			}
			b.duration.Merge(ob.duration)
		}
	}
	if od := o.durationLocked(); od > s.durationLocked() {
		s.end = s.start.Add(od)
	}
	return nil
}

// storeJSON is the wire form of a Store, versioned for perf merge.
type storeJSON struct {
	Version  int          `json:"version"`
	Start    time.Time    `json:"start"`
	Duration float64      `json:"durationSeconds"`
	Metrics  []metricJSON `json:"metrics"`
	Series   []seriesJSON `json:"series"`
	Buckets  []bucketJSON `json:"buckets"`
}

type metricJSON struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Contains string `json:"contains"`
}

type seriesJSON struct {
	Metric string            `json:"metric"`
	Tags   map[string]string `json:"tags,omitempty"`
	Count  int64             `json:"count"`
	Sum    float64           `json:"sum,omitempty"`
	Min    float64           `json:"min,omitempty"`
	Max    float64           `json:"max,omitempty"`
	Last   float64           `json:"last,omitempty"`
	Trues  int64             `json:"trues,omitempty"`
	Hist   string            `json:"hdr,omitempty"`
	Seq    int               `json:"seq,omitempty"`
}

type bucketJSON struct {
	Second     int              `json:"s"`
	Requests   int64            `json:"reqs,omitempty"`
	Failed     int64            `json:"failed,omitempty"`
	Iterations int64            `json:"iters,omitempty"`
	Dropped    int64            `json:"dropped,omitempty"`
	Errors     int64            `json:"errors,omitempty"`
	VUs        int64            `json:"vus,omitempty"`
	Status     map[string]int64 `json:"status,omitempty"`
	Hist       string           `json:"hdr,omitempty"`
}

const storeVersion = 1

// MarshalJSON encodes the store with its histograms.
func (s *Store) MarshalJSON() ([]byte, error) {
	w := storeJSON{Version: storeVersion, Start: s.start, Duration: s.Duration().Seconds()}
	for _, m := range s.Registry.All() {
		w.Metrics = append(w.Metrics, metricJSON{m.Name, m.Type.String(), m.Contains.String()})
	}
	for _, ser := range s.Series() {
		h, err := encodeHist(ser.Sink.hist)
		if err != nil {
			return nil, err
		}
		k := ser.Sink
		w.Series = append(w.Series, seriesJSON{
			Metric: ser.Metric.Name, Tags: ser.Tags.Map(), Count: k.Count, Sum: k.Sum,
			Min: k.Min, Max: k.Max, Last: k.Last, Trues: k.Trues, Hist: h, Seq: ser.Seq,
		})
	}
	for _, b := range s.Buckets() {
		h, err := encodeHist(b.duration)
		if err != nil {
			return nil, err
		}
		w.Buckets = append(w.Buckets, bucketJSON{b.Second, b.Requests, b.Failed, b.Iterations, b.Dropped, b.Errors, b.VUs, b.Status, h})
	}
	return json.Marshal(w)
}

// UnmarshalJSON decodes a store written by MarshalJSON.
func (s *Store) UnmarshalJSON(data []byte) error {
	var w storeJSON
	if err := json.Unmarshal(data, &w); err != nil {
		return err
	}
	if w.Version != storeVersion {
		return fmt.Errorf("unsupported result version %d (want %d)", w.Version, storeVersion)
	}
	*s = Store{Registry: NewRegistry(), start: w.Start, series: map[*Metric]map[string]*Series{}, buckets: map[int]*Bucket{}, id: storeIDs.Add(1)}
	s.end = s.start.Add(time.Duration(w.Duration * float64(time.Second)))
	for _, mj := range w.Metrics {
		t, err := ParseType(mj.Type)
		if err != nil {
			return err
		}
		if _, err := s.Registry.New(mj.Name, t, parseContains(mj.Contains)); err != nil {
			return err
		}
	}
	for _, sj := range w.Series {
		m, ok := s.Registry.Get(sj.Metric)
		if !ok {
			return fmt.Errorf("series of undefined metric %q", sj.Metric)
		}
		h, err := decodeHist(sj.Hist)
		if err != nil {
			return fmt.Errorf("metric %s: %w", sj.Metric, err)
		}
		tags := NewTagSet(sj.Tags)
		if s.series[m] == nil {
			s.series[m] = map[string]*Series{}
		}
		s.series[m][tags.Key()] = &Series{Metric: m, Tags: tags, Sink: &Sink{
			Count: sj.Count, Sum: sj.Sum, Min: sj.Min, Max: sj.Max, Last: sj.Last, Trues: sj.Trues, hist: h,
		}, Seq: sj.Seq}
		s.seq = max(s.seq, sj.Seq)
	}
	for _, bj := range w.Buckets {
		h, err := decodeHist(bj.Hist)
		if err != nil {
			return fmt.Errorf("bucket %d: %w", bj.Second, err)
		}
		s.buckets[bj.Second] = &Bucket{bj.Second, bj.Requests, bj.Failed, bj.Iterations, bj.Dropped, bj.Errors, bj.VUs, bj.Status, h}
	}
	return nil
}

// Coarsen combines every n consecutive buckets into one (histograms
// merged), so long runs plot a bounded number of points. Second becomes the
// first second of each group; VUs is the maximum.
func Coarsen(bs []Bucket, n int) []Bucket {
	if n <= 1 {
		return bs
	}
	var out []Bucket
	for i := 0; i < len(bs); i += n {
		c := Bucket{Second: bs[i].Second}
		for _, b := range bs[i:min(i+n, len(bs))] {
			c.Requests += b.Requests
			c.Failed += b.Failed
			c.Iterations += b.Iterations
			c.Dropped += b.Dropped
			c.Errors += b.Errors
			c.VUs = max(c.VUs, b.VUs)
			for st, k := range b.Status {
				if c.Status == nil {
					c.Status = map[string]int64{}
				}
				c.Status[st] += k
			}
			if b.duration != nil {
				if c.duration == nil {
					c.duration = hdr.New(1, histHighest, bucketSigFig)
				}
				c.duration.Merge(b.duration)
			}
		}
		out = append(out, c)
	}
	return out
}
