package metrics

import (
	"encoding/base64"
	"fmt"
	"math"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Trend values are kept in the histogram in thousandths of their unit
// (microseconds for times in milliseconds) with three significant digits;
// the highest trackable value is about eleven days in microseconds.
const (
	trendScale   = 1000
	histHighest  = 1_000_000_000_000
	histSigFigs  = 3
	bucketSigFig = 2
)

func newHist() *hdr.Histogram { return hdr.New(1, histHighest, histSigFigs) }

// Sink aggregates the samples of one series. The fields used depend on the
// metric type; all of them merge exactly.
type Sink struct {
	// Counter: Sum. Gauge: Last, Min, Max. Rate: Trues, Count.
	// Trend: Count, Sum, Min, Max and the histogram.
	Count int64
	Sum   float64
	Min   float64
	Max   float64
	Last  float64
	Trues int64
	hist  *hdr.Histogram
}

func (s *Sink) add(t Type, v float64) {
	switch t {
	case Counter:
		s.Sum += v
		s.Count++
	case Gauge:
		s.Last = v
		if s.Count == 0 || v < s.Min {
			s.Min = v
		}
		if s.Count == 0 || v > s.Max {
			s.Max = v
		}
		s.Count++
	case Rate:
		if v != 0 {
			s.Trues++
		}
		s.Count++
	case Trend:
		if s.Count == 0 || v < s.Min {
			s.Min = v
		}
		if s.Count == 0 || v > s.Max {
			s.Max = v
		}
		s.Count++
		s.Sum += v
		if s.hist == nil {
			s.hist = newHist()
		}
		s.hist.RecordValue(scaleTrend(v)) //nolint:errcheck // clamped to the range below
	}
}

func scaleTrend(v float64) int64 {
	x := math.Round(v * trendScale)
	if x < 0 || math.IsNaN(x) {
		return 0
	}
	if x > histHighest {
		return histHighest
	}
	return int64(x)
}

// merge adds o into s. For gauges the later value wins only when s is empty;
// callers merge segments in order, so Last is the last segment's value.
func (s *Sink) merge(t Type, o *Sink) {
	if o.Count == 0 {
		return
	}
	switch t {
	case Counter:
		s.Sum += o.Sum
	case Gauge:
		s.Last = o.Last
	case Rate:
		s.Trues += o.Trues
	case Trend:
		s.Sum += o.Sum
		if o.hist != nil {
			if s.hist == nil {
				s.hist = newHist()
			}
			s.hist.Merge(o.hist)
		}
	}
	if t == Gauge || t == Trend {
		if s.Count == 0 || o.Min < s.Min {
			s.Min = o.Min
		}
		if s.Count == 0 || o.Max > s.Max {
			s.Max = o.Max
		}
	}
	s.Count += o.Count
}

func (s *Sink) clone() *Sink {
	c := *s
	if s.hist != nil {
		c.hist = s.hist.Clone()
	}
	return &c
}

// Percentile returns the p-th percentile (0-100) of a trend, in the metric's
// unit. Exact minimum and maximum are returned for 0 and 100.
func (s *Sink) Percentile(p float64) float64 {
	if s.Count == 0 || s.hist == nil {
		return 0
	}
	if p <= 0 {
		return s.Min
	}
	if p >= 100 {
		return s.Max
	}
	v := float64(s.hist.ValueAtPercentile(p)) / trendScale
	// The histogram reports the top of the bucket; never beyond what was seen.
	return math.Max(s.Min, math.Min(v, s.Max))
}

// Avg returns the mean of a trend.
func (s *Sink) Avg() float64 {
	if s.Count == 0 {
		return 0
	}
	return s.Sum / float64(s.Count)
}

// RateValue returns the share of non-zero samples of a rate.
func (s *Sink) RateValue() float64 {
	if s.Count == 0 {
		return 0
	}
	return float64(s.Trues) / float64(s.Count)
}

func encodeHist(h *hdr.Histogram) (string, error) {
	if h == nil {
		return "", nil
	}
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

func decodeHist(s string) (*hdr.Histogram, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	h, err := hdr.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}

// addParallel merges a gauge of a run that ran at the same time as s's
// (another segment): values add up rather than replace each other.
func (s *Sink) addParallel(o *Sink) {
	if o.Count == 0 {
		return
	}
	if s.Count == 0 {
		*s = *o.clone()
		return
	}
	s.Last += o.Last
	s.Min += o.Min
	s.Max += o.Max
	s.Count += o.Count
}
