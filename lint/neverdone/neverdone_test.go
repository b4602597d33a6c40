package neverdone_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gocli/gocli/lint/neverdone"
)

func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), neverdone.Analyzer, "a")
}
