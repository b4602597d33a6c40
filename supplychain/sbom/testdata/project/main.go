// Package main is a fixture for SBOM tests: only its go.mod and go.sum
// matter.
package main

func main() {}
