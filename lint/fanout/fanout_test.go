package fanout_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gocli/gocli/lint/fanout"
)

func TestAnalyzer(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), fanout.Analyzer, "a")
}
