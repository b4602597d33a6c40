package blockedrecv_test

import (
	"testing"

	"golang.org/x/tools/go/analysis/analysistest"

	"github.com/gocli/gocli/lint/blockedrecv"
)

func TestAnalyzer(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), blockedrecv.Analyzer, "a")
}
