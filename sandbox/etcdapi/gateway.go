package etcdapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Gateway returns an http.Handler serving etcd's JSON gateway for the KV
// calls: POST /v3/kv/put, /v3/kv/range, /v3/kv/deleterange, /v3/kv/txn
// and /v3/kv/compaction, with the request message as a JSON body. Keys
// and values are base64, as with etcd:
//
//	curl -d '{"key":"Zm9v","value":"YmFy"}' http://127.0.0.1:PORT/v3/kv/put
func Gateway(kvs pb.KVServer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v3/kv/range", handle(kvs.Range))
	mux.Handle("POST /v3/kv/put", handle(kvs.Put))
	mux.Handle("POST /v3/kv/deleterange", handle(kvs.DeleteRange))
	mux.Handle("POST /v3/kv/txn", handle(kvs.Txn))
	mux.Handle("POST /v3/kv/compaction", handle(kvs.Compact))
	return mux
}

var (
	gwOut = protojson.MarshalOptions{UseProtoNames: true}
	gwIn  = protojson.UnmarshalOptions{DiscardUnknown: true}
)

// handle adapts one unary call: Req and Resp are pointers to generated
// messages.
func handle[Req any, PReq interface {
	*Req
	proto.Message
}, Resp proto.Message](call func(context.Context, PReq) (Resp, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			writeErr(w, http.StatusBadRequest, 3, "read body: "+err.Error())
			return
		}
		req := PReq(new(Req))
		if len(body) > 0 {
			if err := gwIn.Unmarshal(body, req); err != nil {
				writeErr(w, http.StatusBadRequest, 3, "decode request: "+err.Error())
				return
			}
		}
		resp, err := call(r.Context(), req)
		if err != nil {
			st := status.Convert(err)
			writeErr(w, httpStatus(int(st.Code())), int(st.Code()), st.Message())
			return
		}
		out, err := gwOut.Marshal(resp)
		if err != nil {
			writeErr(w, http.StatusInternalServerError, 13, err.Error())
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(out)
	})
}

func writeErr(w http.ResponseWriter, httpCode, grpcCode int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(httpCode)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "code": grpcCode, "message": msg})
}

// httpStatus maps gRPC codes to HTTP statuses as grpc-gateway does.
func httpStatus(code int) int {
	switch code {
	case 0:
		return http.StatusOK
	case 1:
		return 499
	case 3, 11:
		return http.StatusBadRequest
	case 4:
		return http.StatusGatewayTimeout
	case 5:
		return http.StatusNotFound
	case 6:
		return http.StatusConflict
	case 7:
		return http.StatusForbidden
	case 8:
		return http.StatusTooManyRequests
	case 9:
		return http.StatusBadRequest
	case 12:
		return http.StatusNotImplemented
	case 14:
		return http.StatusServiceUnavailable
	case 16:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}
