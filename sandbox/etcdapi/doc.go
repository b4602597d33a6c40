// Package etcdapi serves the etcd v3 gRPC API (KV, Watch, Lease,
// Cluster.MemberList, Maintenance.Status and MoveLeader) on top of a
// consensus/kv server, using go.etcd.io/etcd/api/v3 types, so etcdctl,
// clientv3 and clientv3/concurrency work against a sandbox node unchanged.
// Calls the sandbox does not support answer codes.Unimplemented with a
// message naming the call.
//
// Gateway serves the JSON form of the KV calls (/v3/kv/put, /v3/kv/range,
// /v3/kv/deleterange, /v3/kv/txn) the way etcd's grpc-gateway does: bytes
// fields are base64 strings and 64-bit integers are decimal strings.
package etcdapi
