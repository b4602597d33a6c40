// Package scaffold generates consensus-backed Go services.
//
// A Spec (service name, module path, template, replicas, ports) is
// validated first; Generator.Run then renders the whole project in memory
// from the templates embedded under templates/ (text/template with "[[" and
// "]]" delimiters, so Helm's and GitHub Actions' "{{ }}" pass through),
// formats the Go files, copies gocli's consensus engine into
// internal/consensus (tests excluded, imports rewritten, a header naming
// the gocli version) and writes the tree atomically: a failed run leaves
// nothing behind. With DryRun it only returns the Plan.
//
// Each generated file is a File{Path, Template, IfExists}; the template
// sets "plain" and "istio" list them in file.go.
package scaffold
