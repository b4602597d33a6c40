package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestResolve(t *testing.T) {
	fromGo := func() (*debug.BuildInfo, bool) {
		return &debug.BuildInfo{
			Main: debug.Module{Version: "v0.3.0"},
			Settings: []debug.BuildSetting{
				{Key: "vcs.revision", Value: "deadbeef"},
				{Key: "vcs.time", Value: "2026-01-01T00:00:00Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}, true
	}
	tests := []struct {
		name           string
		v, c, d        string
		read           func() (*debug.BuildInfo, bool)
		wantV, wantC   string
		wantD          string
		wantModifiedOn bool
	}{
		{"ldflags win", "v1.0.0", "abc", "2026-02-02", fromGo, "v1.0.0", "abc", "2026-02-02", true},
		{"build info fallback", "", "", "", fromGo, "v0.3.0", "deadbeef", "2026-01-01T00:00:00Z", true},
		{"nothing known", "", "", "", func() (*debug.BuildInfo, bool) { return nil, false }, "dev", "unknown", "unknown", false},
		{"devel module", "", "", "", func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, true
		}, "dev", "unknown", "unknown", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := resolve(tt.v, tt.c, tt.d, tt.read)
			if got.Version != tt.wantV || got.Commit != tt.wantC || got.Date != tt.wantD || got.Modified != tt.wantModifiedOn {
				t.Fatalf("resolve = %+v", got)
			}
			if got.GoVersion == "" || got.Platform == "" {
				t.Fatalf("runtime fields missing: %+v", got)
			}
		})
	}
}
