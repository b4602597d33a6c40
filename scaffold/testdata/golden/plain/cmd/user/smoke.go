package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// runSmoke creates one User and reads it back, retrying while
// the cluster has no leader (503). It is the chart's `helm test`.
func runSmoke(ctx context.Context, base string, out io.Writer) error {
	body := []byte(`{"name":"Ada Lovelace","email":"ada@example.com"}`)
	var created struct {
		ID string `json:"id"`
	}
	for {
		resp, err := post(ctx, base+"/v1/users", body)
		if err == nil && resp.StatusCode == http.StatusCreated {
			err = json.NewDecoder(resp.Body).Decode(&created)
			resp.Body.Close()
			if err != nil {
				return fmt.Errorf("decode create response: %w", err)
			}
			break
		}
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				return fmt.Errorf("create: %s: %s", resp.Status, b)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no successful write before the deadline (last error: %v)", err)
		case <-time.After(500 * time.Millisecond):
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/users/"+created.ID, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("read back: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("read back %s: %s", created.ID, resp.Status)
	}
	fmt.Fprintf(out, "ok: created and read back %s\n", created.ID)
	return nil
}

func post(ctx context.Context, url string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return http.DefaultClient.Do(req)
}
