package perf

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/spf13/cobra"

	"github.com/gocli/gocli/internal/cli/command"
	"github.com/gocli/gocli/internal/config"
	"github.com/gocli/gocli/perf/k8s"
)

// DefaultImage is the container image the Job runs unless --image is given.
const DefaultImage = "ghcr.io/gocli/gocli:latest"

// K8sOptions are the inputs of `gocli perf k8s`.
type K8sOptions struct {
	Factory     *command.Factory
	Script      string
	Parallelism int
	Name        string
	Namespace   string
	Image       string
	Target      string
	URL         string
	VUs         int
	Duration    time.Duration
	Iterations  int
	Stages      []string
	Env         []string
	SecretEnv   string
	CPU         string
	Memory      string
	OutFile     string
}

// NewCmdK8s builds `gocli perf k8s`.
func NewCmdK8s(f *command.Factory, runF func(context.Context, *K8sOptions) error) *cobra.Command {
	opts := &K8sOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "k8s SCRIPT.js --parallelism N",
		Short: "Write a Kubernetes Job that runs the script in N segments",
		Long: `Write a ConfigMap (the script, its local modules and files, and the
target's configuration) and an indexed Job whose pod i runs segment i+1/N of
the load and prints its mergeable summary on stdout. The comment at the top
of the output shows how to collect and merge the results with
gocli perf merge.`,
		Example: `  gocli perf k8s load.js --parallelism 4 --target staging > job.yaml
  gocli perf k8s load.js --parallelism 8 --url http://api.shop.svc:8080 --vus 400 --duration 10m -n load`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Script = args[0]
			if opts.Parallelism < 1 {
				return command.FlagErrorf("--parallelism must be at least 1")
			}
			if opts.Target != "" && opts.URL != "" {
				return command.FlagErrorf("--target and --url cannot be used together")
			}
			ro := &RunOptions{Stages: opts.Stages, Env: opts.Env}
			if _, err := ro.stages(); err != nil {
				return err
			}
			if _, err := ro.envVars(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runK8s(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.IntVarP(&opts.Parallelism, "parallelism", "p", 0, "number of segments (pods)")
	fl.StringVar(&opts.Name, "name", "", "name of the Job and ConfigMap (default: perf-<script name>)")
	fl.StringVarP(&opts.Namespace, "namespace", "n", "", "namespace of the manifests")
	fl.StringVar(&opts.Image, "image", DefaultImage, "container image with gocli as its entrypoint")
	fl.StringVar(&opts.Target, "target", "", "named target from gocli.yaml, copied into the ConfigMap")
	fl.StringVar(&opts.URL, "url", "", "base URL to test, as seen from the cluster")
	fl.IntVarP(&opts.VUs, "vus", "u", 0, "virtual users of the whole test (split across pods)")
	fl.DurationVarP(&opts.Duration, "duration", "d", 0, "test duration")
	fl.IntVarP(&opts.Iterations, "iterations", "i", 0, "total iterations of the whole test")
	fl.StringArrayVarP(&opts.Stages, "stage", "s", nil, "ramping stage DURATION:TARGET, repeatable")
	fl.StringArrayVarP(&opts.Env, "env", "e", nil, "KEY=VALUE added to __ENV, repeatable")
	fl.StringVar(&opts.SecretEnv, "secret-env", "", "Secret whose keys become environment variables (for ${VAR} in target headers)")
	fl.StringVar(&opts.CPU, "cpu", "1", "CPU request of each pod")
	fl.StringVar(&opts.Memory, "memory", "1Gi", "memory request and limit of each pod")
	fl.StringVar(&opts.OutFile, "out", "-", "write the manifests to FILE instead of stdout")
	return cmd
}

func runK8s(_ context.Context, o *K8sOptions) error {
	files, main, err := k8s.ScriptFiles(o.Script, map[string]string{})
	if err != nil {
		return scriptError(err)
	}
	var args []string
	var cfgYAML []byte
	switch {
	case o.URL != "":
		args = append(args, "--url="+o.URL)
	case o.Target != "":
		cfg, err := o.Factory.Config()
		if err != nil {
			return &command.ExitError{Code: command.ExitUsage, Err: err}
		}
		t, ok := cfg.Perf.Targets[o.Target]
		if !ok {
			return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf k8s: unknown target %q", o.Target)}
		}
		// Header values keep their ${VAR} references: secrets come from
		// --secret-env inside the cluster, never from this machine.
		cfgYAML, err = yaml.Marshal(map[string]any{"perf": config.Perf{Targets: map[string]config.PerfTarget{o.Target: t}}})
		if err != nil {
			return err
		}
		args = append(args, "--target="+o.Target)
	}
	if o.VUs > 0 {
		args = append(args, "--vus="+strconv.Itoa(o.VUs))
	}
	if o.Duration > 0 {
		args = append(args, "--duration="+o.Duration.String())
	}
	if o.Iterations > 0 {
		args = append(args, "--iterations="+strconv.Itoa(o.Iterations))
	}
	for _, s := range o.Stages {
		args = append(args, "--stage="+s)
	}
	for _, e := range o.Env {
		args = append(args, "--env="+e)
	}
	// Pods see only what the manifest gives them.
	args = append(args, "--include-system-env-vars=false")
	name := o.Name
	if name == "" {
		name = k8s.NameFromScript(o.Script)
	}
	out, err := k8s.Write(k8s.Options{
		Name: name, Namespace: o.Namespace, Image: o.Image, Parallelism: o.Parallelism,
		Script: main, Files: files, Config: cfgYAML, Args: args, SecretEnv: o.SecretEnv, CPU: o.CPU, Memory: o.Memory,
	})
	if err != nil {
		return &command.ExitError{Code: command.ExitUsage, Err: fmt.Errorf("perf k8s: %w", err)}
	}
	return writeTo(o.Factory.IO, o.OutFile, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	})
}
