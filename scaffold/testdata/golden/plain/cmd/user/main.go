// Command user serves the users API on a replicated,
// strongly consistent store. Every node runs the same binary; see README.md.
//
// Usage:
//
//	user serve [flags]       run a node (the default)
//	user smoke --url URL     check a running cluster end to end
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"example.com/user/internal/config"
	"example.com/user/internal/server"
	"example.com/user/internal/telemetry"
)

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "smoke":
		err = smoke(args)
	default:
		err = fmt.Errorf("unknown command %q: use serve or smoke", cmd)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "user: %v\n", err)
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		os.Exit(1)
	}
}

func serve(args []string) error {
	cfg, err := config.Load(args, os.Getenv)
	if err != nil {
		return err
	}
	log := telemetry.NewLogger(os.Stderr, cfg.LogLevel, cfg.ID)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	shutdownTracing, err := telemetry.SetupTracing(ctx)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	srv, err := server.Start(ctx, cfg, log)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", cfg.ShutdownTimeout)
	case err := <-srv.Err():
		log.Error("listener failed", "err", err)
	}
	stop()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	err = errors.Join(srv.Shutdown(sctx), shutdownTracing(sctx))
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

func smoke(args []string) error {
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	url := fs.String("url", "http://localhost:8080", "API base URL")
	timeout := fs.Duration("timeout", time.Minute, "how long to wait for a leader")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	return runSmoke(ctx, *url, os.Stdout)
}
