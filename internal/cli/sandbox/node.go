package sandbox

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/sandbox"
	"github.com/gocli/gocli/sandbox/control"
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
			code, err := sandbox.RunNode(cmd.Context(), spec, sandbox.NodeOptions{Membership: controlMembership})
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

// controlMembership reaches the cluster in dir through its control API:
// the parent process owns the membership, so a child node forwards the
// etcd API's MemberAdd and MemberRemove there.
func controlMembership(dir string) (sandbox.MembershipChanger, error) {
	info, err := sandbox.NewManager(filepath.Dir(dir)).Get(filepath.Base(dir))
	if err != nil {
		return nil, err
	}
	if info.Control == "" {
		return nil, fmt.Errorf("cluster %q serves no control API", info.Name)
	}
	return control.NewClient(info.Control)
}
