// Package metrics holds the measurements of a load test: metric definitions
// (Counter, Gauge, Rate, Trend), tagged series backed by HDR histograms,
// per-second time buckets for reports, thresholds, and an exact merge of the
// results of several execution segments.
//
// A Store is safe for concurrent use: virtual users add samples to it while
// the runner reads progress and evaluates thresholds. Its JSON form carries
// the encoded histograms, so segments run on different machines merge into
// exactly the result a single run would have produced.
package metrics
