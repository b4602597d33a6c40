package version

import (
	"context"
	"testing"

	"github.com/gocli/gocli/internal/buildinfo"
	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
)

func TestNewCmdVersion(t *testing.T) {
	f := &command.Factory{Globals: &command.Globals{Output: "text"}}
	var got *Options
	cmd := NewCmdVersion(f, func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--short"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got == nil || !got.Short {
		t.Fatalf("opts = %+v, want Short", got)
	}
}

func TestRunVersion(t *testing.T) {
	info := buildinfo.Info{Version: "v1.2.3", Commit: "abc", Date: "2026-01-01", GoVersion: "go1.26.8", Platform: "linux/amd64"}
	tests := []struct {
		name, output string
		short        bool
		want         string
	}{
		{"text", "text", false, "gocli v1.2.3\n  commit:   abc\n  built:    2026-01-01\n  go:       go1.26.8\n  platform: linux/amd64\n"},
		{"short", "text", true, "v1.2.3\n"},
		{"json", "json", false, "{\n  \"version\": \"v1.2.3\",\n  \"commit\": \"abc\",\n  \"date\": \"2026-01-01\",\n  \"goVersion\": \"go1.26.8\",\n  \"platform\": \"linux/amd64\"\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			f := &command.Factory{IO: ios, Globals: &command.Globals{Output: tt.output}}
			err := runVersion(context.Background(), &Options{Factory: f, Short: tt.short, Info: func() buildinfo.Info { return info }})
			if err != nil {
				t.Fatal(err)
			}
			if out.String() != tt.want {
				t.Fatalf("got %q\nwant %q", out.String(), tt.want)
			}
		})
	}
}
