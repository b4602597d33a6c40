// Command benchserver is the HTTP server the perf comparison benchmarks
// (scripts/perf-compare.sh) load: GET / answers "ok" at once, and
// GET /sleep/DURATION (a Go duration, e.g. /sleep/2ms) answers "ok" after
// that long, a service time both load tools must measure alike.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	addr := "127.0.0.1:0"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	body := []byte("ok")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	mux.HandleFunc("GET /sleep/{d}", func(w http.ResponseWriter, r *http.Request) {
		d, err := time.ParseDuration(r.PathValue("d"))
		if err != nil || d < 0 || d > time.Minute {
			http.Error(w, "want /sleep/DURATION, at most 1m", http.StatusBadRequest)
			return
		}
		time.Sleep(d)
		w.Header().Set("Content-Type", "text/plain")
		w.Write(body)
	})
	err = http.Serve(ln, mux)
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
