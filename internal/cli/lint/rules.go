package lint

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/cli/iostreams"
	golint "github.com/gocli/gocli/lint"
)

// RulesOptions are the inputs of `gocli lint rules`.
type RulesOptions struct {
	Factory *command.Factory
	Names   []string
}

// NewCmdRules builds `gocli lint rules`; runF replaces the run step in tests.
func NewCmdRules(f *command.Factory, runF func(context.Context, *RulesOptions) error) *cobra.Command {
	opts := &RulesOptions{Factory: f}
	return &cobra.Command{
		Use:   "rules [rule...]",
		Short: "List the goroutine-leak rules, or show one rule's documentation and examples",
		Example: `  gocli lint rules
  gocli lint rules abandonedsend
  gocli lint rules -o json | jq -r '.rules[].name'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Names = args
			if _, err := golint.Select(args); err != nil {
				return command.FlagErrorf("%v", err)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runRules(cmd.Context(), opts)
		},
	}
}

// Rule is one rule as listed by `gocli lint rules`.
type Rule struct {
	Name    string `json:"name"`
	Group   string `json:"group"`
	Summary string `json:"summary"`
	Doc     string `json:"doc"`
	URL     string `json:"url"`
}

type rulesResult struct {
	Rules []Rule `json:"rules"`
	full  bool
}

func (r rulesResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	for i, rule := range r.Rules {
		if !r.full {
			if _, err := fmt.Fprintf(w, "%-14s %s\n", rule.Name, rule.Summary); err != nil {
				return err
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(w)
		}
		if _, err := fmt.Fprintf(w, "%s (%s)\n\n%s\n\nMore: %s\n", cs.Bold(rule.Name), rule.Group, rule.Doc, rule.URL); err != nil {
			return err
		}
	}
	if !r.full {
		_, err := fmt.Fprintf(w, "\nAll rules form the group %q. Run 'gocli lint rules NAME' for a rule's documentation.\n", golint.Group)
		return err
	}
	return nil
}

func runRules(_ context.Context, opts *RulesOptions) error {
	analyzers, err := golint.Select(opts.Names)
	if err != nil {
		return command.FlagErrorf("%v", err)
	}
	res := rulesResult{full: len(opts.Names) > 0}
	for _, a := range analyzers {
		summary, doc, _ := strings.Cut(a.Doc, "\n")
		if _, s, ok := strings.Cut(summary, ": "); ok {
			summary = s
		}
		res.Rules = append(res.Rules, Rule{Name: a.Name, Group: golint.Group, Summary: summary, Doc: strings.TrimSpace(doc), URL: a.URL})
	}
	return opts.Factory.Render(res)
}
