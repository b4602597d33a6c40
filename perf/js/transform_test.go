package js

import (
	"strings"
	"testing"
)

func TestTransform(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"default import", `import http from 'k6/http';`, `const http = __require("k6/http", ["default"]).default;`},
		{"named import", `import { check, sleep as nap } from "k6"`, `const { "check": check, "sleep": nap } = __require("k6", ["check", "sleep"]);`},
		{"default and named", `import http, { get } from 'k6/http';`, `const http = __require("k6/http", ["default"]).default, { "get": get } = __require("k6/http", ["get"]);`},
		{"namespace", `import * as lib from './lib.js';`, `const lib = __require("./lib.js");`},
		{"side effect", `import './setup.js';`, `__require("./setup.js");`},
		{"export default anonymous", `export default function () { return 1 }`, `exports.default = function () { return 1 }`},
		{"export default named", `export default function main() {}`, "               function main() {}\n;exports.default = main;"},
		{"export default expression", `export default () => 1;`, `exports.default = () => 1;`},
		{"export const", "export const options = { vus: 1 };", "       const options = { vus: 1 };\n;exports.options = options;"},
		{"export several", "export let a = 1, b = [1, 2]\nexport function setup() {}", "       let a = 1, b = [1, 2]\n       function setup() {}\n;exports.a = a; exports.b = b; exports.setup = setup;"},
		{"export list", "const a = 1; export { a as b };", "const a = 1; \n;exports[\"b\"] = a;"},
		{"multi-line import keeps lines", "import {\n  check,\n} from 'k6';\nx()", "const { \"check\": check } = __require(\"k6\", [\"check\"]);\n\n\nx()"},
		{"strings and comments untouched", "const s = 'import x from \"y\"'; // export default\n/* import */ const r = /export/g;", "const s = 'import x from \"y\"'; // export default\n/* import */ const r = /export/g;"},
		{"template with substitution", "const u = `${base}/import/${id}`; export default function () {}", "const u = `${base}/import/${id}`; exports.default = function () {}"},
		{"property named import", "obj.import(); const o = { export: 1 };", "obj.import(); const o = { export: 1 };"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Transform("s.js", tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Transform(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if strings.Count(got, "\n") < strings.Count(tt.in, "\n") {
				t.Errorf("lines lost")
			}
		})
	}
}

func TestTransformErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"function f() { import x from 'y' }", "s.js:1:16: import is only allowed at the top level"},
		{"const m = import('k6');", "s.js:1:11: dynamic import() is not supported"},
		{"export const { a } = o;", "destructuring in an exported declaration"},
	}
	for _, tt := range tests {
		_, err := Transform("s.js", tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Transform(%q) error = %v, want it to contain %q", tt.in, err, tt.want)
		}
	}
}
