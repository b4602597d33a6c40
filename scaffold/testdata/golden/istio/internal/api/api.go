// Package api serves the users JSON API over a Store. It knows nothing of
// consensus: the Store decides what is durable and what is linearizable.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"example.com/user/internal/model"
)

// Store is what the API needs from storage. Implementations return the
// model package's errors so the API can map them to status codes.
type Store interface {
	Create(ctx context.Context, v model.User) (model.User, error)
	Get(ctx context.Context, id string) (model.User, error)
	List(ctx context.Context) ([]model.User, error)
	Update(ctx context.Context, v model.User) (model.User, error)
	Delete(ctx context.Context, id string) error
}

// maxBody bounds request bodies; a users is small.
const maxBody = 64 << 10

// Handler is the API's http.Handler.
type Handler struct {
	store    Store
	log      *slog.Logger
	mux      *http.ServeMux
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// New returns the API over store, registering its metrics on reg.
func New(store Store, log *slog.Logger, reg prometheus.Registerer) (*Handler, error) {
	h := &Handler{
		store: store,
		log:   log,
		mux:   http.NewServeMux(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "user_http_requests_total",
			Help: "API requests by route and status code.",
		}, []string{"route", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "user_http_request_duration_seconds",
			Help:    "API request latency by route.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{h.requests, h.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	h.handle("POST /v1/users", h.create)
	h.handle("GET /v1/users", h.list)
	h.handle("GET /v1/users/{id}", h.get)
	h.handle("PUT /v1/users/{id}", h.update)
	h.handle("DELETE /v1/users/{id}", h.delete)
	return h, nil
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// statusWriter remembers the status code for metrics.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

func (h *Handler) handle(pattern string, fn func(http.ResponseWriter, *http.Request) error) {
	h.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		if err := fn(sw, r); err != nil {
			h.writeError(sw, r, err)
		}
		h.requests.WithLabelValues(pattern, strconv.Itoa(sw.code)).Inc()
		h.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
	})
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) error {
	var v model.User
	if err := decode(w, r, &v); err != nil {
		return err
	}
	created, err := h.store.Create(r.Context(), v)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/users/"+created.ID)
	return writeJSON(w, http.StatusCreated, created)
}

func (h *Handler) get(w http.ResponseWriter, r *http.Request) error {
	v, err := h.store.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) error {
	items, err := h.store.List(r.Context())
	if err != nil {
		return err
	}
	if items == nil {
		items = []model.User{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) error {
	var v model.User
	if err := decode(w, r, &v); err != nil {
		return err
	}
	v.ID = r.PathValue("id")
	updated, err := h.store.Update(r.Context(), v)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, updated)
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) error {
	if err := h.store.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func decode(w http.ResponseWriter, r *http.Request, v *model.User) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.Join(model.ErrInvalid, err)
	}
	return v.Validate()
}

func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, model.ErrInvalid):
		code = http.StatusBadRequest
	case errors.Is(err, model.ErrNotFound):
		code = http.StatusNotFound
	case errors.Is(err, model.ErrConflict):
		code = http.StatusConflict
	case errors.Is(err, model.ErrTimeout):
		code = http.StatusGatewayTimeout
	case errors.Is(err, model.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		// Nothing was written: tell clients (and Istio's retry policy)
		// to try again shortly.
		code = http.StatusServiceUnavailable
		w.Header().Set("Retry-After", "1")
	}
	if code == http.StatusInternalServerError {
		h.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	_ = writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(v)
}
