package dashboard

import (
	"context"
	"fmt"

	"github.com/gocli/gocli/sandbox"
)

// Overview is the one-shot view of a cluster that `gocli dashboard --once`
// prints (as text or JSON) when there is no terminal to draw on.
type Overview struct {
	sandbox.Status
	// Healthy counts nodes whose health is "healthy".
	Healthy int `json:"healthy"`
	// ReadOnly is set when the source cannot inject faults (says why).
	ReadOnly string `json:"read_only,omitempty"`
	// Faults describes the faults in force in words.
	FaultsText string `json:"faults_text,omitempty"`
}

// Snapshot takes one Overview of the cluster behind c.
func Snapshot(ctx context.Context, c ControlClient) (Overview, error) {
	st, err := c.Status(ctx)
	if err != nil {
		return Overview{}, fmt.Errorf("cluster status: %w", err)
	}
	ov := Overview{Status: st, FaultsText: describeFaults(st.Faults, st.Paused)}
	for _, n := range st.Nodes {
		if n.Health == "healthy" {
			ov.Healthy++
		}
	}
	if ro, ok := c.(ReadOnly); ok {
		ov.ReadOnly = ro.ReadOnlyReason()
	}
	return ov, nil
}
