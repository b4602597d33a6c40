package dyn

import (
	"context"
	"testing"
)

func TestFirst(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	First(ctx)
}
