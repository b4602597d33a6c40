package server

import (
	"encoding/json"
	"net/http"

	"example.com/user/internal/store"
)

func writeStatus(w http.ResponseWriter, st store.Status) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(st)
}
