package scaffold

import (
	"errors"
	"fmt"
	"go/token"
	"regexp"
	"strings"
	"unicode"

	"golang.org/x/mod/module"
)

// Templates a Spec may name. Helm is part of both.
const (
	TemplatePlain = "plain"
	TemplateIstio = "istio"
)

// Defaults applied by Spec.Defaults.
const (
	DefaultTemplate  = TemplatePlain
	DefaultReplicas  = 3
	DefaultHTTPPort  = 8080
	DefaultRaftPort  = 7000
	DefaultAdminPort = 9090
	// MaxServiceLen is the longest service name accepted. A DNS-1123 label
	// may have 63 characters, but Kubernetes names a StatefulSet's
	// ControllerRevisions "<name>-<10-char hash>" and stores that in a
	// label value limited to 63, so a StatefulSet name longer than 52
	// creates pods that never start.
	MaxServiceLen = 52
	// MaxReplicas bounds the cluster size: Raft writes wait for a majority,
	// so beyond 9 voters every write gets slower with no practical gain.
	MaxReplicas = 9
)

// Spec describes the service to generate. Build one, call Defaults, then
// Validate before rendering anything.
type Spec struct {
	// Service is the service's name: a DNS-1123 label that names the
	// binary, the Helm chart and every Kubernetes object.
	Service string `json:"service"`
	// Module is the generated project's Go module path.
	Module string `json:"module"`
	// Template selects the optional extras: "plain" or "istio".
	Template string `json:"template"`
	// Replicas is the number of consensus nodes (StatefulSet replicas).
	Replicas int `json:"replicas"`
	// HTTPPort serves the JSON API, RaftPort the peer transport and
	// AdminPort pprof, metrics and health.
	HTTPPort  int `json:"httpPort"`
	RaftPort  int `json:"raftPort"`
	AdminPort int `json:"adminPort"`
}

// Defaults fills the fields that have a default and are unset.
func (s *Spec) Defaults() {
	if s.Template == "" {
		s.Template = DefaultTemplate
	}
	if s.Module == "" && s.Service != "" {
		s.Module = DefaultModule(s.Service)
	}
	if s.Replicas == 0 {
		s.Replicas = DefaultReplicas
	}
	if s.HTTPPort == 0 {
		s.HTTPPort = DefaultHTTPPort
	}
	if s.RaftPort == 0 {
		s.RaftPort = DefaultRaftPort
	}
	if s.AdminPort == 0 {
		s.AdminPort = DefaultAdminPort
	}
}

// DefaultModule is the module path used when none is given.
func DefaultModule(service string) string { return "example.com/" + service }

// FieldError is one invalid Spec field.
type FieldError struct {
	Field  string `json:"field"`
	Value  string `json:"value"`
	Reason string `json:"reason"`
}

func (e *FieldError) Error() string {
	return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Reason)
}

// ErrInvalidSpec is wrapped by every validation failure, so callers can
// tell bad input (exit 2) from a failed write.
var ErrInvalidSpec = errors.New("invalid spec")

// SpecError lists every invalid field of a Spec.
type SpecError struct{ Fields []*FieldError }

func (e *SpecError) Error() string {
	if len(e.Fields) == 1 {
		return e.Fields[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems:", len(e.Fields))
	for _, f := range e.Fields {
		b.WriteString("\n  - ")
		b.WriteString(f.Error())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalidSpec) true.
func (e *SpecError) Is(target error) bool { return target == ErrInvalidSpec }

// Validate checks every field and reports all that are wrong at once.
func (s *Spec) Validate() error {
	var errs []*FieldError
	bad := func(field, value, format string, args ...any) {
		errs = append(errs, &FieldError{Field: field, Value: value, Reason: fmt.Sprintf(format, args...)})
	}
	if err := ValidateServiceName(s.Service); err != nil {
		bad("service", s.Service, "%s", err)
	}
	if err := ValidateModulePath(s.Module); err != nil {
		bad("module", s.Module, "%s", err)
	}
	if _, ok := templateSets[s.Template]; !ok {
		bad("template", s.Template, "unknown template: use %s", strings.Join(TemplateNames(), " or "))
	}
	switch {
	case s.Replicas < 1 || s.Replicas > MaxReplicas:
		bad("replicas", fmt.Sprint(s.Replicas), "must be between 1 and %d", MaxReplicas)
	case s.Replicas%2 == 0:
		bad("replicas", fmt.Sprint(s.Replicas), "must be odd: %d nodes tolerate no more failures than %d and need a larger quorum", s.Replicas, s.Replicas-1)
	}
	ports := map[int]string{}
	for _, p := range []struct {
		name string
		v    int
	}{{"httpPort", s.HTTPPort}, {"raftPort", s.RaftPort}, {"adminPort", s.AdminPort}} {
		switch {
		case p.v < 1024 || p.v > 65535:
			// Below 1024 needs NET_BIND_SERVICE, which the restricted
			// security context drops.
			bad(p.name, fmt.Sprint(p.v), "must be between 1024 and 65535 (the container runs without privileges)")
		case ports[p.v] != "":
			bad(p.name, fmt.Sprint(p.v), "is already used by %s", ports[p.v])
		default:
			ports[p.v] = p.name
		}
	}
	if len(errs) > 0 {
		return &SpecError{Fields: errs}
	}
	return nil
}

var dns1123Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

// reservedNames cannot be services: they collide with Kubernetes objects
// every cluster has, with Go's toolchain directories, or with gocli itself.
var reservedNames = map[string]string{
	"kubernetes": "the API server's own Service in every namespace",
	"default":    "a Kubernetes namespace and service account that always exist",
	"istio":      "Istio's own resources",
	"gocli":      "the generator's own name",
	"main":       "Go's program package name",
	"internal":   "a directory name with special meaning to Go",
	"vendor":     "a directory name with special meaning to Go",
	"testdata":   "a directory name the Go tool ignores",
	"test":       "a common shell builtin and Go's test package suffix",
}

// ValidateServiceName checks that name can name a Go binary, a Helm chart
// and Kubernetes objects: a DNS-1035 label (a DNS-1123 label starting with
// a letter, which Services require) of at most MaxServiceLen characters,
// not reserved, and not a Go keyword once hyphens are removed.
func ValidateServiceName(name string) error {
	switch {
	case name == "":
		return errors.New("is required")
	case len(name) > MaxServiceLen:
		return fmt.Errorf("is %d characters; at most %d fit a StatefulSet name", len(name), MaxServiceLen)
	case !dns1123Label.MatchString(name):
		return errors.New("must be a DNS label: lowercase letters, digits and '-', starting with a letter and ending with a letter or digit (for example user or order-api)")
	case strings.Contains(name, "--"):
		return errors.New("must not contain \"--\"")
	}
	if why, ok := reservedNames[name]; ok {
		return fmt.Errorf("is reserved (%s)", why)
	}
	for _, prefix := range []string{"kube-", "istio-"} {
		if strings.HasPrefix(name, prefix) {
			return fmt.Errorf("must not start with %q, which Kubernetes and Istio reserve for their own components", prefix)
		}
	}
	if id := goPackageName(name); token.IsKeyword(id) {
		return fmt.Errorf("would make the Go package name %q, a Go keyword", id)
	}
	return nil
}

// ValidateModulePath checks path with the Go module path rules
// (golang.org/x/mod/module.CheckPath): a domain-like first element, no
// upper-case-only tricks, no ".." or empty elements.
func ValidateModulePath(path string) error {
	if path == "" {
		return errors.New("is required")
	}
	if err := module.CheckPath(path); err != nil {
		// CheckPath's message repeats the path; keep only the reason.
		msg := err.Error()
		if i := strings.Index(msg, ": "); i >= 0 && strings.HasPrefix(msg, "malformed module path") {
			msg = msg[i+2:]
		}
		return fmt.Errorf("is not a valid Go module path: %s", msg)
	}
	if strings.HasPrefix(path, "github.com/gocli/gocli") {
		return errors.New("is gocli's own module: pick your project's path")
	}
	return nil
}

// goPackageName turns a service name into a Go package name: hyphens dropped.
func goPackageName(service string) string { return strings.ReplaceAll(service, "-", "") }

// goTypeName turns a service name into an exported Go identifier:
// "order-api" becomes "OrderAPI", "user" becomes "User".
func goTypeName(service string) string {
	var b strings.Builder
	for part := range strings.SplitSeq(service, "-") {
		if part == "" {
			continue
		}
		if up := strings.ToUpper(part); commonInitialisms[up] {
			b.WriteString(up)
			continue
		}
		r := []rune(part)
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

var commonInitialisms = map[string]bool{"API": true, "ID": true, "HTTP": true, "URL": true, "DNS": true, "IP": true, "UI": true}
