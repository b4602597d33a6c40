// Package command holds what every gocli command shares: the Factory of lazily
// built dependencies, the typed errors that decide exit codes, and result
// rendering in text or JSON.
package command

import (
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/internal/config"
	"github.com/gocli/gocli/sandbox"
)

// Globals are the root command's persistent flags, filled in by Cobra before
// any command runs.
type Globals struct {
	// Output is "text" or "json".
	Output string
	// NoColor disables ANSI colour.
	NoColor bool
	// Verbose counts -v flags: 1 shows info logs, 2 debug.
	Verbose int
	// ConfigFile replaces gocli.yaml discovery when set.
	ConfigFile string
}

// Factory hands commands their dependencies. Fields that cost something to
// build are funcs, called only by the commands that need them.
type Factory struct {
	IO      *iostreams.IOStreams
	Now     func() time.Time
	Globals *Globals
	// Config loads the merged configuration once.
	Config func() (*config.Config, error)
	// Logger is the slog logger writing to stderr at the -v level.
	Logger func() *slog.Logger
	// Getwd is the working directory (tests pin it).
	Getwd func() (string, error)
	// Sandbox returns the manager of local sandbox clusters (state under
	// $XDG_STATE_HOME/gocli/sandbox; tests point it at a temp dir).
	Sandbox func() (*sandbox.Manager, error)
}

// New returns the production Factory over the process's streams.
func New() *Factory {
	f := &Factory{
		IO:      iostreams.System(),
		Now:     time.Now,
		Globals: &Globals{Output: "text"},
		Getwd:   os.Getwd,
		Sandbox: func() (*sandbox.Manager, error) { return sandbox.NewManager(""), nil },
	}
	f.Config = sync.OnceValues(func() (*config.Config, error) {
		paths := config.Paths{User: config.DefaultUserPath()}
		if f.Globals.ConfigFile != "" {
			paths.Project, paths.ProjectExplicit = f.Globals.ConfigFile, true
		} else if wd, err := f.Getwd(); err == nil {
			paths.Project = config.FindProjectFile(wd)
		}
		return config.Load(paths)
	})
	f.Logger = sync.OnceValue(func() *slog.Logger { return NewLogger(f.IO.ErrOut, f.Globals.Verbose) })
	return f
}

// NewLogger returns a text logger on w: warnings only by default, info with
// one -v, debug with two.
func NewLogger(w io.Writer, verbose int) *slog.Logger {
	level := slog.LevelWarn
	switch {
	case verbose >= 2:
		level = slog.LevelDebug
	case verbose == 1:
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
