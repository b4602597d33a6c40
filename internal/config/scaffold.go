package config

// Scaffold is the `scaffold:` section of gocli.yaml: a team's defaults for
// new services.
//
//	scaffold:
//	  modulePrefix: github.com/acme   # --module defaults to <prefix>/<service>
//	  template: istio                 # when --template is not given
//	  replicas: 5                     # when --replicas is not given
type Scaffold struct {
	// ModulePrefix is joined with the service name to make the default
	// module path.
	ModulePrefix string `yaml:"modulePrefix,omitempty"`
	// Template is the default template name.
	Template string `yaml:"template,omitempty"`
	// Replicas is the default number of consensus nodes.
	Replicas int `yaml:"replicas,omitempty"`
}
