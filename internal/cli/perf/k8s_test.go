package perf

import (
	"context"
	"strings"
	"testing"

	"github.com/gocli/gocli/internal/config"
)

func TestNewCmdK8s(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
		check   func(*K8sOptions) bool
	}{
		{args: []string{"a.js", "-p", "4", "--target", "staging", "--vus", "40", "-n", "load"}, check: func(o *K8sOptions) bool {
			return o.Script == "a.js" && o.Parallelism == 4 && o.Target == "staging" && o.VUs == 40 && o.Namespace == "load" && o.Image == DefaultImage
		}},
		{args: []string{"a.js"}, wantErr: "--parallelism"},
		{args: []string{"a.js", "-p", "2", "--url", "http://x", "--target", "y"}, wantErr: "cannot be used together"},
		{args: []string{"a.js", "-p", "2", "--stage", "bad"}, wantErr: "DURATION:TARGET"},
	}
	for _, tt := range tests {
		f, out, errOut := factory(t, "text", nil, t.TempDir())
		var got *K8sOptions
		cmd := NewCmdK8s(f, func(_ context.Context, o *K8sOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(out)
		cmd.SetErr(errOut)
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: err = %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(got) {
			t.Errorf("%v: err %v, opts %+v", tt.args, err, got)
		}
	}
}

func TestRunK8s(t *testing.T) {
	dir := t.TempDir()
	s := script(t, dir, "shop load.js", passingScript)
	cfg := &config.Config{Perf: config.Perf{Targets: map[string]config.PerfTarget{
		"staging": {BaseURL: "http://shop:8080", Headers: map[string]string{"Authorization": "Bearer ${TOKEN}"}},
	}}}
	t.Setenv("TOKEN", "must-not-leak")
	f, out, errOut := factory(t, "text", cfg, dir)
	cmd := NewCmdK8s(f, nil)
	cmd.SetArgs([]string{s, "-p", "3", "--target", "staging", "--iterations", "300", "-e", "MODE=smoke", "--secret-env", "shop-perf"})
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	y := out.String()
	for _, want := range []string{
		"name: perf-shop-load", "completions: 3", `"--segment-count=3"`, `"--target=staging"`, `"--iterations=300"`,
		`"--env=MODE=smoke"`, `"--include-system-env-vars=false"`, "name: shop-perf", "Bearer ${TOKEN}", `"shop_load.js": |-`, `path: "shop load.js"`,
	} {
		if !strings.Contains(y, want) {
			t.Errorf("manifest lacks %q", want)
		}
	}
	if strings.Contains(y, "must-not-leak") {
		t.Error("a secret from this machine's environment leaked into the manifest")
	}
}
