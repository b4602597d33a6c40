package check

import (
	"fmt"
	"strconv"

	"github.com/anishathalye/porcupine"
)

// Input is one operation of the workload: get, put or compare-and-swap on
// one key. Values are unique per write, so a read names the write it saw.
type Input struct {
	Op    string `json:"op"` // "get", "put", "cas"
	Key   string `json:"key"`
	Value string `json:"value,omitempty"` // put value, or cas new value
	Old   string `json:"old,omitempty"`   // cas expected value ("" = absent)
}

// Output is an operation's observed result.
type Output struct {
	Value string `json:"value,omitempty"` // get result ("" = absent)
	OK    bool   `json:"ok,omitempty"`    // cas succeeded
	// Unknown: the write may or may not have happened (timeout, lost
	// connection); the checker accepts either.
	Unknown bool `json:"unknown,omitempty"`
}

// Model is the key-value register model the history is checked against,
// partitioned by key so each key is checked on its own.
var Model = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		by := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(Input).Key
			if _, ok := by[k]; !ok {
				keys = append(keys, k)
			}
			by[k] = append(by[k], op)
		}
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, by[k])
		}
		return out
	},
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(string), input.(Input), output.(Output)
		switch in.Op {
		case "get":
			return out.Value == st, st
		case "put":
			return true, in.Value
		default: // cas
			if st == in.Old {
				return out.Unknown || out.OK, in.Value
			}
			return out.Unknown || !out.OK, st
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(Input), output.(Output)
		var res string
		switch {
		case out.Unknown:
			res = "?"
		case in.Op == "get":
			res = strconv.Quote(out.Value)
		case in.Op == "cas":
			res = strconv.FormatBool(out.OK)
		default:
			res = "ok"
		}
		switch in.Op {
		case "get":
			return fmt.Sprintf("get(%s) → %s", in.Key, res)
		case "put":
			return fmt.Sprintf("put(%s, %s) → %s", in.Key, in.Value, res)
		}
		return fmt.Sprintf("cas(%s, %q→%s) → %s", in.Key, in.Old, in.Value, res)
	},
	DescribeState: func(state any) string { return strconv.Quote(state.(string)) },
}
