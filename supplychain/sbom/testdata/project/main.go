// Command project is a fixture for SBOM tests: TestDirectory reads its
// go.mod and go.sum, TestGoBinary builds it and reads the binary.
package main

import (
	"fmt"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
)

func main() {
	cmd := &cobra.Command{Use: "project"}
	fmt.Println(cmd.Use, uuid.NewString())
}
