// Package control serves a running sandbox cluster's control API and is
// its Go client.
//
// The API is JSON over HTTP, on a unix socket in the cluster folder (or a
// loopback TCP address). Every endpoint is under /v1:
//
//	GET    /v1/status                     cluster and node status
//	GET    /v1/events                     server-sent events (sandbox.Event)
//	POST   /v1/nodes/{id}/kill            kill a node
//	POST   /v1/nodes/{id}/restart         restart a killed node
//	POST   /v1/nodes/{id}/pause           freeze a node
//	POST   /v1/nodes/{id}/resume          thaw it
//	POST   /v1/nodes/{id}/delay           {"latency":"50ms","jitter":"10ms"}
//	POST   /v1/nodes/{id}/drop            {"rate":0.2}
//	POST   /v1/nodes/{id}/transfer-leader make the node leader
//	GET    /v1/nodes/{id}/logs?lines=N    the node's log tail (text)
//	POST   /v1/nodes                      add a node
//	DELETE /v1/nodes/{id}                 remove a node
//	POST   /v1/partition                  {"groups":[[1,2],[3]]}
//	POST   /v1/heal                       remove network faults
//	POST   /v1/shutdown                   stop the cluster
//
// Errors answer {"error": "...", "kind": "..."} where kind is
// unknown_node, node_state, bad_request, no_leader or internal.
package control
