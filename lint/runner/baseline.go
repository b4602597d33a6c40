package runner

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
)

// BaselineVersion is the format version written to baseline files.
const BaselineVersion = 1

// Baseline is a set of known findings, keyed by fingerprint, that a run
// does not report. Fingerprints ignore line numbers, so unrelated edits do
// not bring baselined findings back.
type Baseline struct {
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
}

// BaselineEntry is one known finding. File and Message are for readers;
// only Fingerprint is matched.
type BaselineEntry struct {
	Fingerprint string `json:"fingerprint"`
	Rule        string `json:"rule"`
	File        string `json:"file"`
	Message     string `json:"message"`
}

// NewBaseline records every finding.
func NewBaseline(fs []Finding) *Baseline {
	b := &Baseline{Version: BaselineVersion, Findings: []BaselineEntry{}}
	for _, f := range fs {
		b.Findings = append(b.Findings, BaselineEntry{Fingerprint: f.Fingerprint, Rule: f.Rule, File: f.Location.File, Message: f.Message})
	}
	sort.SliceStable(b.Findings, func(i, j int) bool {
		if b.Findings[i].File != b.Findings[j].File {
			return b.Findings[i].File < b.Findings[j].File
		}
		return b.Findings[i].Fingerprint < b.Findings[j].Fingerprint
	})
	return b
}

// ReadBaseline loads a baseline file.
func ReadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	var b Baseline
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", path, err)
	}
	if b.Version != BaselineVersion {
		return nil, fmt.Errorf("read baseline %s: version %d is not %d: write it again with --write-baseline", path, b.Version, BaselineVersion)
	}
	return &b, nil
}

// Write writes the baseline as indented JSON.
func (b *Baseline) Write(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(b)
}

// Filter drops findings the baseline holds. Each entry matches one finding,
// so a second identical leak added later is still reported.
func (b *Baseline) Filter(fs []Finding) (kept []Finding, dropped int) {
	left := map[string]int{}
	for _, e := range b.Findings {
		left[e.Fingerprint]++
	}
	kept = []Finding{}
	for _, f := range fs {
		if left[f.Fingerprint] > 0 {
			left[f.Fingerprint]--
			dropped++
			continue
		}
		kept = append(kept, f)
	}
	return kept, dropped
}
