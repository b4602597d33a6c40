// Thresholds that fail: every other request is an error.
import http from 'k6/http';
import { check } from 'k6';

export const options = {
  iterations: 20,
  thresholds: {
    http_req_failed: ['rate<0.1'],
    checks: ['rate>0.9'],
  },
};

export default function () {
  const res = http.get(`${__ENV.BASE_URL}/flaky?i=${__ITER}`, { tags: { name: 'flaky' } });
  check(res, { 'status is 200': (r) => r.status === 200 });
}
