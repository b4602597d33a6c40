// Command gocli builds, checks, load-tests and ships consensus-backed Go
// services. See `gocli --help` and docs/.
package main

import (
	"os"

	"github.com/gocli/gocli/internal/cli"
)

func main() { os.Exit(cli.Main()) }
