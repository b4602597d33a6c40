// Writes and reads keys through the sandbox's etcd JSON gateway.
import http from 'k6/http';
import { check, group } from 'k6';
import encoding from 'k6/encoding';

export const options = {
  vus: 3,
  iterations: 30,
  thresholds: {
    checks: ['rate==1'],
    http_req_failed: ['rate==0'],
    'http_req_duration{name:put}': ['p(95)<5000'],
  },
};

export default function () {
  const key = encoding.b64encode(`perf/${__VU}/${__ITER}`);
  const value = `v${__ITER}`;
  group('kv', () => {
    const put = http.post(`${__ENV.BASE_URL}/v3/kv/put`, JSON.stringify({ key, value: encoding.b64encode(value) }), { tags: { name: 'put' } });
    check(put, { 'put ok': (r) => r.status === 200 && r.json('header.revision') !== undefined });
    const get = http.post(`${__ENV.BASE_URL}/v3/kv/range`, JSON.stringify({ key }), { tags: { name: 'range' } });
    check(get, { 'read back': (r) => r.status === 200 && encoding.b64decode(r.json('kvs.0.value'), 'std', 's') === value });
  });
}
