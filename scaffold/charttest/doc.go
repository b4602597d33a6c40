// Package charttest holds the tests of the Helm charts that gocli scaffold
// generates: lint and render with the Helm Go SDK, and server-side dry runs
// against a real kube-apiserver with the Istio CRDs. They live apart from
// package scaffold so that Helm and the Kubernetes libraries are compiled
// only for these tests, never into gocli.
package charttest
