package scaffold

import (
	"io/fs"

	"github.com/gocli/gocli"
)

// EngineSource returns the consensus engine source embedded in this gocli
// binary, which generated projects receive a copy of.
func EngineSource() (fs.FS, error) { return gocli.Source, nil }
