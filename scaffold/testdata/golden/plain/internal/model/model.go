// Package model holds the users resource and the errors every layer
// shares.
package model

import (
	"errors"
	"fmt"
	"strings"
)

// User is the resource this service stores. Its JSON form is the API's
// wire format and the value kept in the replicated store.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
	// Version counts updates; an update naming an older version fails with
	// ErrConflict, so concurrent writers cannot overwrite each other.
	Version uint64 `json:"version"`
}

// Validate reports the first invalid field.
func (v *User) Validate() error {
	if strings.TrimSpace(v.Name) == "" {
		return fmt.Errorf("%w: name is required", ErrInvalid)
	}
	if len(v.Name) > 256 {
		return fmt.Errorf("%w: name is longer than 256 bytes", ErrInvalid)
	}
	if strings.TrimSpace(v.Email) == "" {
		return fmt.Errorf("%w: email is required", ErrInvalid)
	}
	if len(v.Email) > 256 {
		return fmt.Errorf("%w: email is longer than 256 bytes", ErrInvalid)
	}
	if at := strings.IndexByte(v.Email, '@'); at < 1 || at == len(v.Email)-1 {
		return fmt.Errorf("%w: email %q has no user@domain form", ErrInvalid, v.Email)
	}
	return nil
}

// Errors the API maps to status codes.
var (
	// ErrNotFound: no users has that ID (404).
	ErrNotFound = errors.New("not found")
	// ErrInvalid: the request body is not a valid User (400).
	ErrInvalid = errors.New("invalid")
	// ErrConflict: the version in the request is not the current one (409).
	ErrConflict = errors.New("version conflict")
	// ErrUnavailable: the cluster has no leader or no quorum right now;
	// nothing was written and the request may be retried (503).
	ErrUnavailable = errors.New("cluster unavailable")
	// ErrTimeout: a write was handed to the cluster but its outcome is not
	// known in time; it may still be applied, so it is not retried (504).
	ErrTimeout = errors.New("outcome unknown")
)
