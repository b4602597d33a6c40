import http from 'k6/http';
import { check } from 'k6';

export const options = {
  scenarios: {
    shared: { executor: 'shared-iterations', vus: 3, iterations: 41 },
    pervu: { executor: 'per-vu-iterations', vus: 4, iterations: 5 },
  },
  thresholds: { http_reqs: ['count==61'], checks: ['rate==1'] },
};

export default function () {
  check(http.get(`${__ENV.BASE_URL}/products`), { ok: (r) => r.status === 200 });
}
