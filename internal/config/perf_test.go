package config

import (
	"strings"
	"testing"
)

func TestPerfSection(t *testing.T) {
	dir := t.TempDir()
	p := write(t, dir, "gocli.yaml", `perf:
  script: perf/smoke.js
  targets:
    staging:
      baseURL: https://staging.example.com
      headers:
        Authorization: "Bearer ${PERF_TEST_TOKEN}"
      insecureSkipVerify: true
`)
	t.Setenv("PERF_TEST_TOKEN", "s3cret")
	cfg, err := Load(Paths{Project: p})
	if err != nil {
		t.Fatal(err)
	}
	st, ok := cfg.Perf.Targets["staging"]
	if !ok || cfg.Perf.Script != "perf/smoke.js" || st.BaseURL != "https://staging.example.com" || !st.InsecureSkipVerify {
		t.Fatalf("perf = %+v", cfg.Perf)
	}
	if h := st.ExpandedHeaders()["Authorization"]; h != "Bearer s3cret" {
		t.Fatalf("header = %q", h)
	}
}

func TestPerfSectionErrors(t *testing.T) {
	dir := t.TempDir()
	for body, want := range map[string]string{
		"perf:\n  targets:\n    x:\n      baseURL: ftp://h\n":  "perf.targets.x.baseURL",
		"perf:\n  targets:\n    x:\n      baseUrl: http://h\n": "unknown key",
	} {
		p := write(t, dir, "gocli.yaml", body)
		_, err := Load(Paths{Project: p})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", body, err, want)
		}
	}
}
