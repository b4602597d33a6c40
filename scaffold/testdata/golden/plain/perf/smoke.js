// Load test for user: create and read back users. Run it with
//   gocli perf run perf/smoke.js --url http://127.0.0.1:8080
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  vus: 10,
  duration: '30s',
  thresholds: {
    http_req_failed: ['rate<0.01'],
    'http_req_duration{op:create}': ['p(99)<250'],
    'http_req_duration{op:get}': ['p(99)<100'],
  },
};

const base = __ENV.BASE_URL || __ENV.URL || 'http://127.0.0.1:8080';
const headers = { 'Content-Type': 'application/json' };

export default function () {
  const body = JSON.stringify({
    name: `Ada Lovelace ${__VU}-${__ITER}`,
    email: `ada@example.com ${__VU}-${__ITER}`,
  });
  const created = http.post(`${base}/v1/users`, body, { headers, tags: { op: 'create' } });
  check(created, { 'created': (r) => r.status === 201 });
  if (created.status !== 201) {
    return;
  }
  const id = created.json('id');
  const got = http.get(`${base}/v1/users/${id}`, { tags: { op: 'get' } });
  check(got, { 'read back': (r) => r.status === 200 && r.json('id') === id });
}
