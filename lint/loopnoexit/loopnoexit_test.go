package loopnoexit_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gocli/gocli/lint/loopnoexit"
)

func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), loopnoexit.Analyzer, "a")
}
