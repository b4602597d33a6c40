package js

import (
	"encoding/base64"

	"github.com/dop251/goja"
)

// encodingModule is k6/encoding: base64 in the four alphabets k6 names.
func (vu *VU) encodingModule() map[string]any {
	enc := func(name string) *base64.Encoding {
		switch name {
		case "", "std":
			return base64.StdEncoding
		case "rawstd":
			return base64.RawStdEncoding
		case "url":
			return base64.URLEncoding
		case "rawurl":
			return base64.RawURLEncoding
		}
		vu.typeError("k6/encoding: unknown encoding %q (use std, rawstd, url or rawurl)", name)
		return nil
	}
	bytesOf := func(v goja.Value) []byte {
		switch x := v.Export().(type) {
		case goja.ArrayBuffer:
			return x.Bytes()
		case []byte:
			return x
		}
		return []byte(v.String())
	}
	return map[string]any{
		"b64encode": func(input goja.Value, encoding string) string {
			return enc(encoding).EncodeToString(bytesOf(input))
		},
		"b64decode": func(input string, encoding string, format string) goja.Value {
			b, err := enc(encoding).DecodeString(input)
			if err != nil {
				vu.throw("b64decode: %v", err)
			}
			if format == "s" {
				return vu.rt.ToValue(string(b))
			}
			return vu.rt.ToValue(vu.rt.NewArrayBuffer(b))
		},
	}
}
