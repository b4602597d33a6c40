import http from 'k6/http';
import { check } from 'k6';
import { pick } from './lib/pick.js';

const users = JSON.parse(open('./users.json'));

export const options = {
  vus: 4,
  duration: '30s',
  thresholds: { http_req_failed: ['rate<0.01'] },
};

export default function () {
  const u = pick(users);
  check(http.get(`${__ENV.BASE_URL}/users/${u.id}`), { 'status is 200': (r) => r.status === 200 });
}
