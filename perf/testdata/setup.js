import http from 'k6/http';
import { check } from 'k6';

export const options = { vus: 2, iterations: 4, thresholds: { checks: ['rate==1'] } };

export function setup() {
  const res = http.post(`${__ENV.BASE_URL}/login`, { user: 'u', pass: 'p' });
  return { token: res.json().token };
}

export default function (data) {
  const res = http.get(`${__ENV.BASE_URL}/me`, { headers: { Authorization: `Bearer ${data.token}` } });
  check(res, { 'authorized': (r) => r.status === 200 });
}

export function teardown(data) {
  http.del(`${__ENV.BASE_URL}/login`, null, { headers: { Authorization: `Bearer ${data.token}` } });
}
