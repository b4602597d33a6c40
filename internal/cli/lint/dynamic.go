package lint

import (
	"context"
	"errors"

	"github.com/gocli/gocli/lint/runner"
)

func runDynamic(ctx context.Context, opts *Options, ropts runner.Options) (*runner.Result, error) {
	return nil, errors.New("dynamic mode is not available yet")
}
