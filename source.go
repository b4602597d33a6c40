// Package gocli exposes parts of gocli's own source tree that commands
// ship inside the binary. It sits at the module root because go:embed
// cannot reach parent directories.
package gocli

import "embed"

// Source holds consensus/, the Raft engine, as it was when this gocli was
// built. gocli scaffold copies its non-test Go files into every generated
// project (internal/consensus), so services build from public modules
// alone. The whole directory is embedded, so a new subpackage is picked up
// without touching this file; the copier skips tests and testdata.
//
//go:embed consensus
var Source embed.FS

// EngineImportPath is the import path the embedded engine's files use.
const EngineImportPath = "github.com/gocli/gocli/consensus"
