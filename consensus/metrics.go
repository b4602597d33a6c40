package consensus

import (
	"fmt"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the node's Prometheus collectors. They always exist, so the
// engine never checks for nil; they are registered only on the caller's
// Registerer.
type metrics struct {
	proposeCommit   prometheus.Histogram
	commitApply     prometheus.Histogram
	proposeApply    prometheus.Histogram
	walFsync        prometheus.Histogram
	leaderChanges   prometheus.Counter
	proposalsFailed prometheus.Counter
	appliedIndex    prometheus.Gauge
	snapshots       prometheus.Counter
	readRounds      prometheus.Counter
}

func newMetrics(id uint64, reg prometheus.Registerer) (*metrics, error) {
	labels := prometheus.Labels{"node_id": strconv.FormatUint(id, 16)}
	buckets := prometheus.ExponentialBuckets(0.0005, 2, 16) // 0.5ms .. ~16s
	h := func(name, help string) prometheus.Histogram {
		return prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "consensus", Name: name, Help: help, ConstLabels: labels, Buckets: buckets,
		})
	}
	m := &metrics{
		proposeCommit: h("proposal_commit_seconds", "Time from Propose until the entry is committed, on the proposing node."),
		commitApply:   h("commit_apply_seconds", "Time from commit until the entry is applied, on the proposing node."),
		proposeApply:  h("proposal_apply_seconds", "Time from Propose until the entry is applied, on the proposing node."),
		walFsync:      h("wal_fsync_seconds", "Duration of WAL fdatasync calls."),
		leaderChanges: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "consensus", Name: "leader_changes_total", Help: "Leader changes seen by this node.", ConstLabels: labels,
		}),
		proposalsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "consensus", Name: "proposals_failed_total", Help: "Proposals that were dropped, timed out or failed.", ConstLabels: labels,
		}),
		appliedIndex: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "consensus", Name: "applied_index", Help: "Index of the last applied entry.", ConstLabels: labels,
		}),
		snapshots: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "consensus", Name: "snapshots_total", Help: "Snapshots saved (taken locally or received).", ConstLabels: labels,
		}),
		readRounds: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "consensus", Name: "read_index_rounds_total", Help: "ReadIndex rounds this node started; the reads that arrive during a round share the next one.", ConstLabels: labels,
		}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.proposeCommit, m.commitApply, m.proposeApply, m.walFsync,
			m.leaderChanges, m.proposalsFailed, m.appliedIndex, m.snapshots, m.readRounds} {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("register consensus metrics for node %x: %w", id, err)
			}
		}
	}
	return m, nil
}
