package perf

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
)

// K8sOptions are the inputs of `gocli perf k8s`.
type K8sOptions struct {
	Factory *command.Factory
	Script  string
}

// NewCmdK8s builds `gocli perf k8s`.
func NewCmdK8s(f *command.Factory, runF func(context.Context, *K8sOptions) error) *cobra.Command {
	opts := &K8sOptions{Factory: f}
	cmd := &cobra.Command{
		Use:    "k8s SCRIPT.js",
		Short:  "Write Kubernetes manifests that run the script in segments",
		Args:   cobra.ExactArgs(1),
		Hidden: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Script = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return command.FlagErrorf("perf k8s: not available yet")
		},
	}
	return cmd
}
