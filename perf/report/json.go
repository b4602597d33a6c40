package report

import (
	"encoding/json"
	"io"

	"github.com/gocli/gocli/perf"
)

// exportJSON is k6's --summary-export layout plus the "gocli" data that
// perf merge and --baseline read back.
type exportJSON struct {
	Metrics   map[string]map[string]any `json:"metrics"`
	RootGroup groupJSON                 `json:"root_group"`
	State     stateJSON                 `json:"state"`
	SLI       SLI                       `json:"sli"`
	Gocli     *perf.Result              `json:"gocli"`
}

type stateJSON struct {
	TestRunDurationMs float64 `json:"testRunDurationMs"`
	Interrupted       bool    `json:"interrupted,omitempty"`
	InterruptReason   string  `json:"interruptReason,omitempty"`
	ThresholdsPassed  bool    `json:"thresholdsPassed"`
}

type groupJSON struct {
	Name   string               `json:"name"`
	Path   string               `json:"path"`
	Groups map[string]groupJSON `json:"groups"`
	Checks map[string]checkJSON `json:"checks"`
}

type checkJSON struct {
	Name   string `json:"name"`
	Path   string `json:"path"`
	Passes int64  `json:"passes"`
	Fails  int64  `json:"fails"`
}

func groupOut(g *Group) groupJSON {
	out := groupJSON{Name: g.Name, Path: g.Path, Groups: map[string]groupJSON{}, Checks: map[string]checkJSON{}}
	for _, c := range g.Checks {
		out.Checks[c.Name] = checkJSON{c.Name, c.Path, c.Passes, c.Fails}
	}
	for _, s := range g.Groups {
		out.Groups[s.Name] = groupOut(s)
	}
	return out
}

// WriteJSON writes the summary export. As in k6, a threshold's value is
// true when it failed.
func WriteJSON(w io.Writer, m *Model) error {
	out := exportJSON{
		Metrics:   map[string]map[string]any{},
		RootGroup: groupOut(m.Root),
		State: stateJSON{
			TestRunDurationMs: float64(m.Duration.Microseconds()) / 1000,
			Interrupted:       m.Summary.Interrupted,
			InterruptReason:   m.Summary.InterruptReason,
			ThresholdsPassed:  m.Summary.Passed(),
		},
		SLI:   m.SLI,
		Gocli: m.Summary.Result(),
	}
	for _, mm := range m.Metrics {
		vals := map[string]any{}
		for k, v := range mm.Values {
			switch {
			case mm.Type.String() == "rate" && k == "rate":
				vals["value"] = v
			default:
				vals[k] = v
			}
		}
		if len(mm.Thresholds) > 0 {
			th := map[string]bool{}
			for _, v := range mm.Thresholds {
				th[v.Source] = !v.Passed
			}
			vals["thresholds"] = th
		}
		out.Metrics[mm.Name] = vals
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
