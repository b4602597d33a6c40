// GET and POST with checks, a group and custom metrics, in the style of the
// k6 documentation.
import http from 'k6/http';
import { check, group, sleep } from 'k6';
import { Counter, Trend } from 'k6/metrics';

const orders = new Counter('orders_created');
const orderTime = new Trend('order_time', true);

export const options = {
  vus: 2,
  iterations: 10,
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<2000', 'avg<1000'],
    'http_req_duration{name:create-order}': ['max<2000'],
    checks: ['rate==1'],
    orders_created: ['count==10'],
  },
};

export default function () {
  group('browse', () => {
    const res = http.get(`${__ENV.BASE_URL}/products`);
    check(res, {
      'status is 200': (r) => r.status === 200,
      'has products': (r) => r.json().products.length === 2,
    });
  });
  group('order', () => {
    const res = http.post(`${__ENV.BASE_URL}/orders`, JSON.stringify({ id: __ITER }), {
      headers: { 'Content-Type': 'application/json' },
      tags: { name: 'create-order' },
    });
    check(res, { 'created': (r) => r.status === 201 });
    orders.add(1);
    orderTime.add(res.timings.duration);
  });
  sleep(0.01);
}
