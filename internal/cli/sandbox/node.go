package sandbox

import (
	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/sandbox"
)

// newCmdNode builds the hidden `gocli sandbox node`, the body of one
// child process of a --processes cluster.
func newCmdNode() *cobra.Command {
	var spec string
	cmd := &cobra.Command{
		Use:    "node --spec FILE",
		Short:  "Run one node of a --processes cluster (internal)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			code, err := sandbox.RunNode(cmd.Context(), spec)
			if err != nil || code != 0 {
				return &command.ExitError{Code: code, Err: err}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&spec, "spec", "", "node spec file written by the cluster")
	_ = cmd.MarkFlagRequired("spec")
	return cmd
}
