// Package perf runs k6-style JavaScript load tests on gocli's own engine.
//
// Runner compiles the script (package js), reads its options, splits the
// load into scenarios run by the executors (package executor), records
// metrics in HDR histograms (package metrics), evaluates thresholds and
// returns a Summary. Rendering the summary is package report's job; the
// CLI maps a failed threshold to exit code 99.
package perf
