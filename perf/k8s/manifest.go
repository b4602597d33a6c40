// Package k8s writes the Kubernetes manifests that run a perf script as N
// execution segments: a ConfigMap with the script (and the local modules
// and files it loads) and an indexed Job whose pod i runs segment i+1/N and
// prints its mergeable summary on stdout for `gocli perf merge -`.
package k8s

import (
	"bytes"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"
)

// Options describe the distributed run.
type Options struct {
	// Name of the Job and ConfigMap (a DNS-1123 label).
	Name      string
	Namespace string
	// Image runs gocli; its entrypoint must be the gocli binary.
	Image       string
	Parallelism int
	// Script is the path of the main script inside Files.
	Script string
	// Files maps a relative path to its content: the script, its modules
	// and the files it opens.
	Files map[string][]byte
	// Config is a gocli.yaml for the pods (the target, without secrets).
	Config []byte
	// Args are extra `perf run` flags (--target, --vus, -e, ...).
	Args []string
	// SecretEnv names a Secret whose keys become environment variables,
	// for ${VAR} in target headers.
	SecretEnv string
	CPU       string
	Memory    string
}

var dns1123 = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// Validate checks the options Kubernetes would reject.
func (o *Options) Validate() error {
	if !dns1123.MatchString(o.Name) || len(o.Name) > 52 {
		return fmt.Errorf("name %q: use at most 52 lower-case letters, digits and '-', starting and ending with a letter or digit", o.Name)
	}
	if o.Namespace != "" && !dns1123.MatchString(o.Namespace) {
		return fmt.Errorf("namespace %q is not a DNS-1123 label", o.Namespace)
	}
	if o.Parallelism < 1 || o.Parallelism > 1000 {
		return fmt.Errorf("parallelism %d: want 1 to 1000", o.Parallelism)
	}
	if o.Image == "" {
		return fmt.Errorf("an image is required")
	}
	if _, ok := o.Files[o.Script]; !ok {
		return fmt.Errorf("script %s is not among the files", o.Script)
	}
	return nil
}

// NameFromScript derives a Job name from a script path: "perf/Load Test.js"
// → "perf-load-test".
func NameFromScript(script string) string {
	base := strings.TrimSuffix(filepath.Base(script), filepath.Ext(script))
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteRune('-')
		}
	}
	name := strings.Trim(regexp.MustCompile(`-+`).ReplaceAllString(b.String(), "-"), "-")
	if name == "" {
		name = "load"
	}
	name = "perf-" + name
	if len(name) > 52 {
		name = strings.TrimRight(name[:52], "-")
	}
	return name
}

// configKey turns a relative path into a ConfigMap key (keys cannot hold
// '/'); the volume's items map it back to the path.
func configKey(path string) string {
	key := strings.NewReplacer("/", "__", "\\", "__").Replace(path)
	return keyRE.ReplaceAllString(key, "_")
}

// keyRE matches what a ConfigMap key may not contain.
var keyRE = regexp.MustCompile(`[^-._a-zA-Z0-9]`)

type item struct{ Key, Path, Body string }

// yamlString quotes s for YAML.
func yamlString(s string) string { return strconv.Quote(s) }

// block writes s as a literal block scalar indented by n spaces.
func block(n int, s string) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		if l == "" {
			lines[i] = ""
			continue
		}
		lines[i] = pad + l
	}
	return "|-\n" + strings.Join(lines, "\n")
}

// Write renders the manifests as one multi-document YAML stream.
func Write(o Options) ([]byte, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var items []item
	paths := make([]string, 0, len(o.Files))
	for p := range o.Files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	seen := map[string]bool{}
	for _, p := range paths {
		key := configKey(p)
		for i := 2; seen[key]; i++ {
			key = fmt.Sprintf("%s.%d", configKey(p), i)
		}
		seen[key] = true
		items = append(items, item{key, p, string(o.Files[p])})
	}
	if len(o.Config) > 0 {
		items = append(items, item{"gocli.yaml", "gocli.yaml", string(o.Config)})
	}
	args := []string{"perf", "run", "/work/scripts/" + o.Script,
		"--segment-index=$(JOB_COMPLETION_INDEX)", "--segment-count=" + strconv.Itoa(o.Parallelism),
		"--summary-export=-", "--no-summary", "--quiet"}
	if len(o.Config) > 0 {
		args = append(args, "--config=/work/scripts/gocli.yaml")
	}
	args = append(args, o.Args...)
	var buf bytes.Buffer
	err := tmpl.Execute(&buf, map[string]any{
		"O": o, "Items": items, "Args": args,
		"NS": o.Namespace,
	})
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var tmpl = template.Must(template.New("k8s").Funcs(template.FuncMap{"q": yamlString, "literal": block}).Parse(`# Runs {{.O.Script}} as {{.O.Parallelism}} execution segments with gocli perf.
#
#   kubectl apply -f THIS_FILE
#   kubectl wait --for=condition=complete --timeout=24h{{if .NS}} -n {{.NS}}{{end}} job/{{.O.Name}}
#   kubectl logs{{if .NS}} -n {{.NS}}{{end}} -l batch.kubernetes.io/job-name={{.O.Name}} --tail=-1 --max-log-requests={{.O.Parallelism}} \
#     | gocli perf merge - --report sli.html --summary-export summary.json
#
# The merge step exits 99 when a threshold of the whole test fails.
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{.O.Name}}
{{- if .NS}}
  namespace: {{.NS}}
{{- end}}
  labels:
    app.kubernetes.io/name: gocli-perf
    app.kubernetes.io/instance: {{.O.Name}}
data:
{{- range .Items}}
  {{q .Key}}: {{literal 4 .Body}}
{{- end}}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{.O.Name}}
{{- if .NS}}
  namespace: {{.NS}}
{{- end}}
  labels:
    app.kubernetes.io/name: gocli-perf
    app.kubernetes.io/instance: {{.O.Name}}
spec:
  completionMode: Indexed
  completions: {{.O.Parallelism}}
  parallelism: {{.O.Parallelism}}
  backoffLimit: 0
  ttlSecondsAfterFinished: 86400
  template:
    metadata:
      labels:
        app.kubernetes.io/name: gocli-perf
        app.kubernetes.io/instance: {{.O.Name}}
    spec:
      restartPolicy: Never
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: gocli
          image: {{q .O.Image}}
          args:
{{- range .Args}}
            - {{q .}}
{{- end}}
          env:
            - name: JOB_COMPLETION_INDEX
              valueFrom:
                fieldRef:
                  fieldPath: metadata.annotations['batch.kubernetes.io/job-completion-index']
{{- if .O.SecretEnv}}
          envFrom:
            - secretRef:
                name: {{.O.SecretEnv}}
{{- end}}
          resources:
            requests:
              cpu: {{q .O.CPU}}
              memory: {{q .O.Memory}}
            limits:
              memory: {{q .O.Memory}}
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: scripts
              mountPath: /work/scripts
              readOnly: true
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: scripts
          configMap:
            name: {{.O.Name}}
            items:
{{- range .Items}}
              - key: {{q .Key}}
                path: {{q .Path}}
{{- end}}
        - name: tmp
          emptyDir: {}
`))
