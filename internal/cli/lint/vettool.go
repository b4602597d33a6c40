package lint

import (
	"strings"

	"golang.org/x/tools/go/analysis/unitchecker"

	"github.com/gocli/gocli/lint/runner"
)

// IsVetInvocation reports whether args (without the program name) are the
// way `go vet -vettool=gocli` calls its tool: -V=full to identify it,
// -flags to list its flags, or a single *.cfg file describing one package.
func IsVetInvocation(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch args[0] {
	case "-V=full", "-flags":
		return true
	}
	return strings.HasSuffix(args[len(args)-1], ".cfg") && !strings.HasPrefix(args[0], "lint")
}

// RunVetTool runs the goroutine-leak analyzers as a go vet tool. It does not
// return: unitchecker exits with go vet's conventions.
func RunVetTool() {
	unitchecker.Main(runner.VetAnalyzers()...)
}
