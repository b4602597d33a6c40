package scaffold

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	"github.com/gocli/gocli/scaffold"
)

// TemplatesOptions are the inputs of `gocli scaffold templates`.
type TemplatesOptions struct {
	Factory *command.Factory
}

// NewCmdTemplates builds `gocli scaffold templates`.
func NewCmdTemplates(f *command.Factory, runF func(context.Context, *TemplatesOptions) error) *cobra.Command {
	opts := &TemplatesOptions{Factory: f}
	return &cobra.Command{
		Use:     "templates",
		Short:   "List the templates gocli scaffold can generate",
		Example: "  gocli scaffold templates\n  gocli scaffold templates -o json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return opts.Factory.Render(templateList(scaffold.Templates()))
		},
	}
}

type templateList []scaffold.TemplateInfo

func (l templateList) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TEMPLATE\tFILES\tDESCRIPTION")
	for _, t := range l {
		fmt.Fprintf(tw, "%s\t%d\t%s\n", t.Name, t.Files, t.Description)
	}
	return tw.Flush()
}
