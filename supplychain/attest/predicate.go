package attest

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Predicate type URIs, under the short names cosign's --type flag uses.
var predicateTypes = map[string]string{
	"spdx":             "https://spdx.dev/Document",
	"spdxjson":         "https://spdx.dev/Document",
	"cyclonedx":        "https://cyclonedx.org/bom",
	"slsaprovenance":   "https://slsa.dev/provenance/v0.2",
	"slsaprovenance02": "https://slsa.dev/provenance/v0.2",
	"slsaprovenance1":  "https://slsa.dev/provenance/v1",
	"openvex":          "https://openvex.dev/ns",
	"vuln":             "https://cosign.sigstore.dev/attestation/vuln/v1",
	"custom":           "https://cosign.sigstore.dev/attestation/v1",
}

// PredicateTypeNames lists the short names ResolvePredicateType accepts.
func PredicateTypeNames() []string {
	names := make([]string, 0, len(predicateTypes))
	for n := range predicateTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ResolvePredicateType turns a short name (spdxjson, cyclonedx,
// slsaprovenance, ...) into its predicate type URI; an absolute URI is
// returned unchanged.
func ResolvePredicateType(t string) (string, error) {
	if uri, ok := predicateTypes[strings.ToLower(t)]; ok {
		return uri, nil
	}
	u, err := url.ParseRequestURI(t)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("unknown predicate type %q: use one of %s, or an absolute URI", t, strings.Join(PredicateTypeNames(), ", "))
	}
	return t, nil
}
