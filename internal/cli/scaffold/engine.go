package scaffold

import (
	"errors"
	"io/fs"
)

// EngineSource returns the consensus engine source that generated
// projects receive a copy of.
func EngineSource() (fs.FS, error) {
	return nil, errors.New("this gocli was built without the consensus engine source")
}
