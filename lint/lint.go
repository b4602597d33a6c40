// Package lint is gocli's goroutine-leak checker: a set of go/analysis
// analyzers (one package each under lint/), the runner that loads packages
// and applies suppressions and baselines (lint/runner), and a dynamic mode
// on Go's goroutine-leak profile (lint/dynamic).
//
// This package lists the analyzers so every driver (the gocli command, the
// go vet tool mode, the golangci-lint plugin) offers the same set.
package lint

import (
	"golang.org/x/tools/go/analysis"

	"github.com/gocli/gocli/lint/abandonedsend"
	"github.com/gocli/gocli/lint/blockedrecv"
	"github.com/gocli/gocli/lint/fanout"
	"github.com/gocli/gocli/lint/loopnoexit"
	"github.com/gocli/gocli/lint/syncblock"
)

// Group is the name that selects every goroutine-leak rule, in --rule and in
// //nolint directives.
const Group = "goroutine-leak"

// Analyzers returns every goroutine-leak analyzer, in documentation order.
func Analyzers() []*analysis.Analyzer {
	return []*analysis.Analyzer{
		abandonedsend.Analyzer,
		blockedrecv.Analyzer,
		loopnoexit.Analyzer,
		fanout.Analyzer,
		syncblock.Analyzer,
	}
}

// Select returns the analyzers named by names, where the group name selects
// them all. An empty list selects them all too.
func Select(names []string) ([]*analysis.Analyzer, error) {
	all := Analyzers()
	if len(names) == 0 {
		return all, nil
	}
	byName := map[string]*analysis.Analyzer{}
	for _, a := range all {
		byName[a.Name] = a
	}
	seen := map[*analysis.Analyzer]bool{}
	var out []*analysis.Analyzer
	for _, n := range names {
		if n == Group || n == "all" {
			return all, nil
		}
		a, ok := byName[n]
		if !ok {
			return nil, &UnknownRuleError{Name: n}
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out, nil
}

// UnknownRuleError names a rule that does not exist.
type UnknownRuleError struct{ Name string }

func (e *UnknownRuleError) Error() string {
	return "unknown rule " + e.Name + ": run 'gocli lint rules' for the list"
}
