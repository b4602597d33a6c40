// Package sandbox runs local clusters of gocli's consensus nodes for
// development, testing and benchmarks.
//
// A Cluster is N consensus/kv nodes, each serving the etcd v3 gRPC API
// (package etcdapi) and an HTTP port with etcd's JSON gateway. Nodes run
// in the calling process by default, or one child process per node
// (Options.Processes) so that kills are real SIGKILLs. Faults are seeded
// and reversible: partitions, per-node delay and drop go through the
// transport's Filter; kill, restart, pause and resume act on the node or
// its process. A Cluster reports its state as a Status and its changes as
// Events, which package control serves over HTTP.
//
// A Manager keeps each named cluster in its own folder under the user's
// state directory ($XDG_STATE_HOME/gocli/sandbox/<name>/): the cluster's
// description (cluster.json), a lock held by the process that runs it,
// the control socket, and the nodes' data and logs.
package sandbox
