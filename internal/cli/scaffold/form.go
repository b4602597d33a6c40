package scaffold

import (
	"errors"
	"fmt"

	"charm.land/huh/v2"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/scaffold"
)

// newForm asks for the values the flags left out, validating each field
// with the same rules Spec.Validate applies.
func newForm(opts *Options) *huh.Form {
	fields := []huh.Field{
		huh.NewInput().
			Title("Service name").
			Description("A DNS label: lowercase letters, digits and '-', such as user or order-api.").
			Placeholder("user").
			Value(&opts.Service).
			Validate(scaffold.ValidateServiceName),
	}
	if opts.Module == "" {
		fields = append(fields, huh.NewInput().
			Title("Go module path").
			Description("Leave empty for example.com/<service> (or scaffold.modulePrefix from gocli.yaml).").
			Value(&opts.Module).
			Validate(func(s string) error {
				if s == "" {
					return nil
				}
				return scaffold.ValidateModulePath(s)
			}))
	}
	if opts.Template == "" {
		var options []huh.Option[string]
		for _, t := range scaffold.Templates() {
			options = append(options, huh.NewOption(fmt.Sprintf("%s: %s", t.Name, t.Description), t.Name))
		}
		fields = append(fields, huh.NewSelect[string]().
			Title("Template").
			Options(options...).
			Value(&opts.Template))
	}
	return huh.NewForm(huh.NewGroup(fields...)).
		WithInput(opts.Factory.IO.In).
		WithOutput(opts.Factory.IO.ErrOut).
		WithShowHelp(true)
}

// promptForm runs the form on the terminal. Ctrl-C ends the command with
// exit 2 and nothing written.
func promptForm(opts *Options) error {
	if err := newForm(opts).Run(); err != nil {
		if errors.Is(err, huh.ErrUserAborted) {
			return &command.ExitError{Code: command.ExitUsage, Err: errors.New("scaffold: cancelled; nothing was written")}
		}
		return fmt.Errorf("scaffold: form: %w", err)
	}
	return nil
}
