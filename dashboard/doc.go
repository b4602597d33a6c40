// Package dashboard is gocli's interactive terminal view of a running
// cluster: a bubbletea program over the sandbox control API (or, read-only,
// over any etcd v3 cluster).
//
// The model is event driven. It subscribes to the control API's event
// stream and re-arms one read per event (waitForEvent); each event, and a
// slow refresh tick, fetch the cluster status. Nothing polls faster than
// the refresh period, so an idle dashboard costs almost nothing. When the
// cluster goes away the model shows "disconnected, retrying" and retries
// with exponential backoff until the control API answers again.
//
// Files: client.go (what the model needs from a cluster), model.go
// (state and Update), keys.go (key map and help), messages.go (the
// messages commands return), commands.go (I/O as tea.Cmds), view.go
// (rendering), etcd.go (the read-only etcd v3 source), bench.go (the
// short write benchmark behind the b key), overview.go (the one-shot
// overview for --once).
package dashboard
