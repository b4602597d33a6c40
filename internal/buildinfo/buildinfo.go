// Package buildinfo says which gocli this is. Release builds stamp the
// variables below with -ldflags; other builds fall back to what the Go
// toolchain recorded (module version, VCS revision and time).
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Set at link time by release builds:
//
//	-X github.com/gocli/gocli/internal/buildinfo.version=v1.2.3
//	-X github.com/gocli/gocli/internal/buildinfo.commit=abc123
//	-X github.com/gocli/gocli/internal/buildinfo.date=2026-01-02T03:04:05Z
var (
	version string
	commit  string
	date    string
)

// Info describes the running binary.
type Info struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	Date      string `json:"date"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	Modified  bool   `json:"modified,omitempty"`
}

// Get returns the build information of the running binary.
func Get() Info {
	return resolve(version, commit, date, debug.ReadBuildInfo)
}

func resolve(v, c, d string, read func() (*debug.BuildInfo, bool)) Info {
	info := Info{Version: v, Commit: c, Date: d, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := read(); ok {
		if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.time":
				if info.Date == "" {
					info.Date = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
	}
	if info.Version == "" {
		info.Version = "dev"
	}
	if info.Commit == "" {
		info.Commit = "unknown"
	}
	if info.Date == "" {
		info.Date = "unknown"
	}
	return info
}

// Version is the short version string, e.g. "v1.2.3" or "dev".
func Version() string { return Get().Version }
