// Package js runs k6-style JavaScript load scripts on goja: the ES module
// transform, the module system (k6, k6/http, k6/metrics and local files),
// and the virtual user that owns one JavaScript runtime.
//
// A Program is compiled once and shared; each VU has its own goja.Runtime
// and is used by one goroutine at a time, as goja requires.
package js
