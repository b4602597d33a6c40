package command

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/gocli/gocli/internal/cli/iostreams"
)

// TextWriter is a result that knows its human layout. Its JSON form is its
// encoding/json encoding, so field tags define the machine contract.
type TextWriter interface {
	WriteText(w io.Writer, cs *iostreams.ColorScheme) error
}

// Render writes result to stdout in the selected output format.
func (f *Factory) Render(result TextWriter) error {
	return Render(f.IO, f.Globals.Output, result)
}

// Render writes result to io.Out as text or JSON.
func Render(io *iostreams.IOStreams, format string, result TextWriter) error {
	switch format {
	case "", "text":
		return result.WriteText(io.Out, io.ColorScheme())
	case "json":
		enc := json.NewEncoder(io.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(result)
	default:
		return FlagErrorf("--output %q is not a format: use text or json", format)
	}
}

// ValidOutput checks a --output value.
func ValidOutput(format string) error {
	switch format {
	case "text", "json":
		return nil
	}
	return FlagErrorf("invalid value %q for --output: use text or json", format)
}

// JSONOutput reports whether the user asked for machine-readable output.
func (f *Factory) JSONOutput() bool { return f.Globals.Output == "json" }

// Warnf prints a warning line to stderr, for problems that do not stop a
// command.
func (f *Factory) Warnf(format string, args ...any) {
	fmt.Fprintf(f.IO.ErrOut, "%s %s\n", f.IO.ColorScheme().WarningIcon(), fmt.Sprintf(format, args...))
}
