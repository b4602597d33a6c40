# Sourced by the benchmark scripts: start_etcd_cluster ETCD WORK starts a
# new 3-member etcd on loopback (client ports 32389, 32399, 32409) with its
# data under WORK/data and logs in WORK, appends the members' PIDs to the
# array pids and sets etcd_eps to their client endpoints, comma-separated.
# Data a previous run left under WORK (a reused BENCH_DIR) is removed first:
# etcd would otherwise start on it, with a bigger database and more memory
# than the sandbox, which always starts empty.
start_etcd_cluster() {
	local etcd=$1 work=$2 cluster="" eps="" i
	for i in 1 2 3; do cluster+="e$i=http://127.0.0.1:$((32380 + 10 * i)),"; done
	cluster=${cluster%,}
	for i in 1 2 3; do rm -rf "$work/data/etcd$i"; done
	for i in 1 2 3; do
		"$etcd" --name "e$i" --data-dir "$work/data/etcd$i" \
			--listen-client-urls "http://127.0.0.1:$((32379 + 10 * i))" --advertise-client-urls "http://127.0.0.1:$((32379 + 10 * i))" \
			--listen-peer-urls "http://127.0.0.1:$((32380 + 10 * i))" --initial-advertise-peer-urls "http://127.0.0.1:$((32380 + 10 * i))" \
			--initial-cluster "$cluster" --initial-cluster-state new --log-level error >"$work/etcd$i.log" 2>&1 &
		pids+=($!)
		eps+="127.0.0.1:$((32379 + 10 * i)),"
	done
	etcd_eps=${eps%,}
}
