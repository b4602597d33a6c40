package kv

import "errors"

// Errors with etcd's meaning. They are part of a command's outcome, so
// every node returns the same one.
var (
	ErrCompacted      = errors.New("kv: requested revision has been compacted")
	ErrFutureRev      = errors.New("kv: requested revision is in the future")
	ErrLeaseNotFound  = errors.New("kv: lease not found")
	ErrLeaseExists    = errors.New("kv: lease already exists")
	ErrEmptyKey       = errors.New("kv: key is not provided")
	ErrWatcherLagging = errors.New("kv: watcher fell too far behind and was cancelled; re-watch from the last revision seen")
	ErrInvalidTTL     = errors.New("kv: lease TTL must be positive")
	ErrUnknownCommand = errors.New("kv: unknown command")
	ErrKeyNotFound    = errors.New("kv: key not found")
	ErrValueProvided  = errors.New("kv: value is provided")
	ErrLeaseProvided  = errors.New("kv: lease is provided")
)

// KeyValue is a key and its value with etcd's mvcc metadata.
type KeyValue struct {
	Key            []byte `json:"key"`
	Value          []byte `json:"value,omitempty"`
	CreateRevision int64  `json:"create_revision"`
	ModRevision    int64  `json:"mod_revision"`
	Version        int64  `json:"version"`
	Lease          int64  `json:"lease,omitempty"`
}

func (kv *KeyValue) clone(withValue bool) *KeyValue {
	c := *kv
	if !withValue {
		c.Value = nil
	}
	return &c
}

// Header is returned with every response.
type Header struct {
	// Revision is the store revision when the request was served (for a
	// write, the revision it created).
	Revision int64 `json:"revision"`
	// RaftTerm is the term of the serving node.
	RaftTerm uint64 `json:"raft_term,omitempty"`
	// MemberID is the serving node's ID.
	MemberID uint64 `json:"member_id,omitempty"`
}

// RangeRequest reads keys. RangeEnd follows etcd: empty means the single
// key Key; "\x00" means every key >= Key; otherwise the half-open range
// [Key, RangeEnd). PrefixEnd(p) gives the range end of a prefix.
type RangeRequest struct {
	Key       []byte `json:"key"`
	RangeEnd  []byte `json:"range_end,omitempty"`
	Revision  int64  `json:"revision,omitempty"`
	Limit     int64  `json:"limit,omitempty"`
	CountOnly bool   `json:"count_only,omitempty"`
	KeysOnly  bool   `json:"keys_only,omitempty"`
	// Serializable serves the read from local state without confirming
	// leadership: fast, possibly stale.
	Serializable bool `json:"serializable,omitempty"`
	// SortOrder and SortTarget order the result (etcd's sort_order and
	// sort_target); by default keys come in ascending key order.
	SortOrder  SortOrder  `json:"sort_order,omitempty"`
	SortTarget SortTarget `json:"sort_target,omitempty"`
	// Revision filters, applied before the limit; zero means no bound.
	MinModRevision    int64 `json:"min_mod_revision,omitempty"`
	MaxModRevision    int64 `json:"max_mod_revision,omitempty"`
	MinCreateRevision int64 `json:"min_create_revision,omitempty"`
	MaxCreateRevision int64 `json:"max_create_revision,omitempty"`
}

// SortOrder is the order of a sorted Range.
type SortOrder int

// Sort orders.
const (
	SortNone SortOrder = iota
	SortAscend
	SortDescend
)

// SortTarget is the field a Range sorts by.
type SortTarget int

// Sort targets.
const (
	SortByKey SortTarget = iota
	SortByVersion
	SortByCreate
	SortByMod
	SortByValue
)

// RangeResponse holds the keys found. Count is the number of keys in the
// range (before revision filters and limit); More says the limit cut the
// result short.
type RangeResponse struct {
	Header Header      `json:"header"`
	Kvs    []*KeyValue `json:"kvs,omitempty"`
	More   bool        `json:"more,omitempty"`
	Count  int64       `json:"count"`
}

// PutRequest writes one key.
type PutRequest struct {
	Key    []byte `json:"key"`
	Value  []byte `json:"value,omitempty"`
	Lease  int64  `json:"lease,omitempty"`
	PrevKv bool   `json:"prev_kv,omitempty"`
	// IgnoreValue keeps the current value (the key must exist).
	IgnoreValue bool `json:"ignore_value,omitempty"`
	// IgnoreLease keeps the current lease (the key must exist).
	IgnoreLease bool `json:"ignore_lease,omitempty"`
}

// PutResponse is the result of a put.
type PutResponse struct {
	Header Header    `json:"header"`
	PrevKv *KeyValue `json:"prev_kv,omitempty"`
}

// DeleteRangeRequest deletes keys (RangeEnd as in RangeRequest).
type DeleteRangeRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
	PrevKv   bool   `json:"prev_kv,omitempty"`
}

// DeleteRangeResponse is the result of a delete.
type DeleteRangeResponse struct {
	Header  Header      `json:"header"`
	Deleted int64       `json:"deleted"`
	PrevKvs []*KeyValue `json:"prev_kvs,omitempty"`
}

// CompareTarget is what a Compare looks at.
type CompareTarget int

// Compare targets.
const (
	CompareVersion CompareTarget = iota
	CompareCreate
	CompareMod
	CompareValue
	CompareLease
)

// CompareResult is the relation a Compare checks.
type CompareResult int

// Compare relations.
const (
	CompareEqual CompareResult = iota
	CompareGreater
	CompareLess
	CompareNotEqual
)

// Compare is one condition of a transaction, on a single key or, with
// RangeEnd, on every key of a range. The field matching Target holds the
// operand.
type Compare struct {
	Key []byte `json:"key"`
	// RangeEnd, as in RangeRequest, makes the compare hold only when it
	// holds for every key in [Key, RangeEnd).
	RangeEnd       []byte        `json:"range_end,omitempty"`
	Target         CompareTarget `json:"target"`
	Result         CompareResult `json:"result"`
	Value          []byte        `json:"value,omitempty"`
	Version        int64         `json:"version,omitempty"`
	CreateRevision int64         `json:"create_revision,omitempty"`
	ModRevision    int64         `json:"mod_revision,omitempty"`
	Lease          int64         `json:"lease,omitempty"`
}

// Op is one operation of a transaction: exactly one field is set.
type Op struct {
	Range  *RangeRequest       `json:"range,omitempty"`
	Put    *PutRequest         `json:"put,omitempty"`
	Delete *DeleteRangeRequest `json:"delete,omitempty"`
}

// OpResponse is the result of one Op.
type OpResponse struct {
	Range  *RangeResponse       `json:"range,omitempty"`
	Put    *PutResponse         `json:"put,omitempty"`
	Delete *DeleteRangeResponse `json:"delete,omitempty"`
}

// TxnRequest runs Success when every Compare holds, Failure otherwise,
// atomically and at one revision.
type TxnRequest struct {
	Compare []Compare `json:"compare,omitempty"`
	Success []Op      `json:"success,omitempty"`
	Failure []Op      `json:"failure,omitempty"`
}

// TxnResponse is the result of a transaction.
type TxnResponse struct {
	Header    Header       `json:"header"`
	Succeeded bool         `json:"succeeded"`
	Responses []OpResponse `json:"responses,omitempty"`
}

// EventType is the kind of a watch event.
type EventType int

// Event types.
const (
	EventPut EventType = iota
	EventDelete
)

// Event is one change to a key. For a delete, Kv holds the key and the
// deletion's ModRevision.
type Event struct {
	Type   EventType `json:"type"`
	Kv     *KeyValue `json:"kv"`
	PrevKv *KeyValue `json:"prev_kv,omitempty"`
}

// WatchRequest asks for changes to a key range from a revision.
type WatchRequest struct {
	Key      []byte `json:"key"`
	RangeEnd []byte `json:"range_end,omitempty"`
	// StartRevision is the first revision to deliver; 0 means changes
	// after the current revision.
	StartRevision int64 `json:"start_revision,omitempty"`
	PrevKv        bool  `json:"prev_kv,omitempty"`
	// NoPut and NoDelete filter out those events (etcd's watch filters).
	NoPut    bool `json:"no_put,omitempty"`
	NoDelete bool `json:"no_delete,omitempty"`
}

// WatchResponse carries events in revision order. The last response on a
// cancelled watch has Canceled set and Err saying why.
type WatchResponse struct {
	Header   Header  `json:"header"`
	Events   []Event `json:"events,omitempty"`
	Canceled bool    `json:"canceled,omitempty"`
	Err      error   `json:"-"`
	// CompactRevision is set when the watch failed with ErrCompacted.
	CompactRevision int64 `json:"compact_revision,omitempty"`
}

// LeaseGrantResponse is the result of granting a lease.
type LeaseGrantResponse struct {
	Header Header `json:"header"`
	ID     int64  `json:"id"`
	TTL    int64  `json:"ttl"`
}

// LeaseTimeToLiveResponse describes a lease.
type LeaseTimeToLiveResponse struct {
	Header     Header   `json:"header"`
	ID         int64    `json:"id"`
	TTL        int64    `json:"ttl"` // remaining seconds; -1 if expired or unknown
	GrantedTTL int64    `json:"granted_ttl"`
	Keys       [][]byte `json:"keys,omitempty"`
}

// PrefixEnd returns the range end that selects every key with prefix p
// (etcd's clientv3.GetPrefixRangeEnd).
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return []byte{0} // every byte is 0xff: no upper bound
}
