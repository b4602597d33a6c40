package scaffold

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestValidateServiceName(t *testing.T) {
	tests := []struct {
		name string
		want string // substring of the error; "" means valid
	}{
		{"user", ""},
		{"order-api", ""},
		{"a", ""},
		{"svc1", ""},
		{strings.Repeat("a", MaxServiceLen), ""},
		{"", "is required"},
		{strings.Repeat("a", MaxServiceLen+1), "at most 52"},
		{strings.Repeat("a", 64), "at most 52"},
		{"User", "DNS label"},
		{"1user", "DNS label"},
		{"-user", "DNS label"},
		{"user-", "DNS label"},
		{"us_er", "DNS label"},
		{"us.er", "DNS label"},
		{"user/../../etc", "DNS label"},
		{"../user", "DNS label"},
		{"usér", "DNS label"},
		{"a--b", `"--"`},
		{"kubernetes", "reserved"},
		{"default", "reserved"},
		{"gocli", "reserved"},
		{"internal", "reserved"},
		{"kube-proxy", `"kube-"`},
		{"istio-gateway", `"istio-"`},
		{"func", "Go keyword"},
		{"go-to", "Go keyword"},
		{"type", "Go keyword"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateServiceName(tt.name)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ValidateServiceName(%q) = %v, want nil", tt.name, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ValidateServiceName(%q) = %v, want an error containing %q", tt.name, err, tt.want)
			}
		})
	}
}

func TestValidateModulePath(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"example.com/user", ""},
		{"github.com/acme/user-api", ""},
		{"github.com/acme/user/v2", ""},
		{"", "is required"},
		{"user", "missing dot in first path element"},
		{"example.com/../user", "invalid path element"},
		{"example.com//user", "double slash"},
		{"/example.com/user", "empty path element"},
		{"example.com/user/", "trailing slash"},
		{"example.com/us er", "invalid char"},
		{"-example.com/user", "leading dash"},
		{"github.com/gocli/gocli/x", "gocli's own module"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := ValidateModulePath(tt.path)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("ValidateModulePath(%q) = %v, want nil", tt.path, err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("ValidateModulePath(%q) = %v, want an error containing %q", tt.path, err, tt.want)
			}
		})
	}
}

func TestSpecValidate(t *testing.T) {
	valid := func() Spec {
		s := Spec{Service: "user"}
		s.Defaults()
		return s
	}
	if s := valid(); s.Module != "example.com/user" || s.Template != TemplatePlain || s.Replicas != 3 || s.HTTPPort != DefaultHTTPPort {
		t.Fatalf("Defaults() = %+v", s)
	}
	tests := []struct {
		name   string
		mutate func(*Spec)
		fields []string
	}{
		{"valid", func(*Spec) {}, nil},
		{"istio", func(s *Spec) { s.Template = TemplateIstio }, nil},
		{"unknown template", func(s *Spec) { s.Template = "helm" }, []string{"template"}},
		{"zero replicas", func(s *Spec) { s.Replicas = 0 }, []string{"replicas"}},
		{"even replicas", func(s *Spec) { s.Replicas = 4 }, []string{"replicas"}},
		{"too many replicas", func(s *Spec) { s.Replicas = 11 }, []string{"replicas"}},
		{"privileged port", func(s *Spec) { s.HTTPPort = 80 }, []string{"httpPort"}},
		{"port clash", func(s *Spec) { s.AdminPort = s.HTTPPort }, []string{"adminPort"}},
		{"everything wrong", func(s *Spec) { s.Service, s.Module, s.Template, s.Replicas = "X", "x", "", 2 },
			[]string{"service", "module", "template", "replicas"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.mutate(&s)
			err := s.Validate()
			if len(tt.fields) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var se *SpecError
			if !errors.As(err, &se) || !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("Validate() = %v, want a *SpecError", err)
			}
			var got []string
			for _, f := range se.Fields {
				got = append(got, f.Field)
			}
			if strings.Join(got, ",") != strings.Join(tt.fields, ",") {
				t.Fatalf("invalid fields = %v, want %v (%v)", got, tt.fields, err)
			}
		})
	}
}

// FuzzValidateServiceName checks that whatever a name is, an accepted one
// is safe everywhere it is used: as a path element, a DNS label, a
// Kubernetes name, a Go identifier.
func FuzzValidateServiceName(f *testing.F) {
	for _, s := range []string{"user", "order-api", "", "../x", "a/b", "A", "kube-x", "x--y", "func", "a\x00b", strings.Repeat("z", 60)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidateServiceName(name)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if len(name) == 0 || len(name) > MaxServiceLen || !utf8.ValidString(name) {
			t.Fatalf("accepted %q", name)
		}
		for _, r := range name {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				t.Fatalf("accepted %q with %q", name, r)
			}
		}
		if name[0] < 'a' || name[0] > 'z' || name[len(name)-1] == '-' {
			t.Fatalf("accepted %q", name)
		}
		if err := checkLocal("cmd/" + name + "/main.go"); err != nil {
			t.Fatalf("accepted %q, which escapes: %v", name, err)
		}
		if ValidateModulePath(DefaultModule(name)) != nil {
			t.Fatalf("accepted %q, whose default module path is invalid", name)
		}
	})
}

// FuzzSpecValidate feeds arbitrary specs; a spec that validates must
// render without error and every path must stay inside the project.
func FuzzSpecValidate(f *testing.F) {
	f.Add("user", "example.com/user", "plain", 3)
	f.Add("order-api", "github.com/acme/order-api/v2", "istio", 5)
	f.Add("x", "a.b/../c", "istio", 1)
	f.Add("../../x", "example.com/x", "plain", 3)
	g := &Generator{Engine: fakeEngine(), Version: "v0.0.0-fuzz"}
	f.Fuzz(func(t *testing.T, service, module, template string, replicas int) {
		s := Spec{Service: service, Module: module, Template: template, Replicas: replicas}
		s.Defaults()
		if err := s.Validate(); err != nil {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("Validate error %v does not wrap ErrInvalidSpec", err)
			}
			return
		}
		files, err := g.Render(s)
		if err != nil {
			t.Fatalf("valid spec %+v does not render: %v", s, err)
		}
		for _, file := range files {
			if err := checkLocal(file.Path); err != nil {
				t.Fatal(err)
			}
		}
	})
}
