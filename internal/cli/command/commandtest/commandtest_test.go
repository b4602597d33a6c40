package commandtest

import (
	"errors"
	"testing"

	"github.com/spf13/cobra"
)

func TestParseArgsAndWantErr(t *testing.T) {
	var name string
	cmd := &cobra.Command{
		Use:  "greet",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if name == "" {
				return errors.New("--name is required")
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "")

	err := ParseArgs(t, cmd, []string{"--name", "ada"})
	if WantErr(t, err, "") || name != "ada" {
		t.Fatalf("a good command line: err %v, name %q", err, name)
	}
	if err := ParseArgs(t, cmd, []string{"extra"}); !WantErr(t, err, "unknown command") {
		t.Fatal("WantErr with a wanted error reported none wanted")
	}
	name = ""
	if err := ParseArgs(t, cmd, []string{}); !WantErr(t, err, "--name is required") {
		t.Fatal("WantErr with a wanted error reported none wanted")
	}
}
