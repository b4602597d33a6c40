// Package server runs one node: the replicated store, the API, and the
// admin endpoints, with a graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"

	"example.com/user/internal/api"
	"example.com/user/internal/config"
	"example.com/user/internal/store"
)

// Server is one running node. Start it with Start, stop it with Shutdown.
type Server struct {
	cfg   *config.Config
	log   *slog.Logger
	store *store.Store

	httpLn, adminLn net.Listener
	httpSrv         *http.Server
	adminSrv        *http.Server
	wg              sync.WaitGroup
	serveErr        chan error
}

// Start opens the store, joins the cluster and starts serving. It returns
// once the listeners are bound; readiness (a known leader) comes later.
func Start(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Server, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	st, err := store.Open(ctx, store.Options{
		ID:           cfg.ID,
		Peers:        cfg.Peers,
		RaftAddr:     cfg.RaftAddr,
		RaftListener: cfg.RaftListener,
		DataDir:      cfg.DataDir,
		TickInterval: cfg.TickInterval,
		Logger:       log,
		Registerer:   reg,
	})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	s := &Server{cfg: cfg, log: log, store: st, serveErr: make(chan error, 2)}
	h, err := api.New(st, log, reg)
	if err != nil {
		st.Close()
		return nil, err
	}
	if s.httpLn, err = net.Listen("tcp", cfg.HTTPAddr); err != nil {
		st.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.HTTPAddr, err)
	}
	if s.adminLn, err = net.Listen("tcp", cfg.AdminAddr); err != nil {
		s.httpLn.Close()
		st.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.AdminAddr, err)
	}
	s.httpSrv = &http.Server{
		Handler:           otelhttp.NewHandler(h, "user"),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	s.adminSrv = &http.Server{Handler: s.adminMux(reg), ReadHeaderTimeout: 5 * time.Second}
	s.serve(s.httpSrv, s.httpLn)
	s.serve(s.adminSrv, s.adminLn)
	log.Info("node started", "http", s.httpLn.Addr().String(), "admin", s.adminLn.Addr().String(), "raft", st.RaftAddr(), "peers", len(cfg.Peers))
	return s, nil
}

func (s *Server) serve(srv *http.Server, ln net.Listener) {
	s.wg.Go(func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- err
		}
	})
}

// adminMux serves probes, metrics and pprof on the admin port, away from
// the API so they are never exposed to API clients.
func (s *Server) adminMux(reg *prometheus.Registry) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if err := s.store.Healthy(); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		st := s.store.Status()
		if st.Leader == 0 {
			http.Error(w, "no leader known yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "ok: node %d, leader %d\n", st.ID, st.Leader)
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, _ *http.Request) {
		writeStatus(w, s.store.Status())
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// HTTPAddr is the bound API address.
func (s *Server) HTTPAddr() string { return s.httpLn.Addr().String() }

// AdminAddr is the bound admin address.
func (s *Server) AdminAddr() string { return s.adminLn.Addr().String() }

// Store is the node's replicated store.
func (s *Server) Store() *store.Store { return s.store }

// Err delivers a listener failure; the caller should then shut down.
func (s *Server) Err() <-chan error { return s.serveErr }

// Shutdown stops taking requests, lets in-flight ones finish, hands
// leadership to another node if this one leads (so the cluster does not
// wait out an election timeout), and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	// Readiness goes first so load balancers stop sending new requests.
	errs := []error{s.httpSrv.Shutdown(ctx)}
	if s.store.Status().Leader == s.cfg.ID && len(s.cfg.Peers) > 1 {
		if err := s.store.TransferLeadership(ctx); err != nil {
			s.log.Warn("leadership transfer failed; peers will elect after a timeout", "err", err)
		} else {
			s.log.Info("handed leadership over before stopping")
		}
	}
	errs = append(errs, s.adminSrv.Shutdown(ctx), s.store.Close())
	s.wg.Wait()
	return errors.Join(errs...)
}
