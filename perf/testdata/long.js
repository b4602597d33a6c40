import http from 'k6/http';
import { sleep } from 'k6';

export const options = { vus: 2, duration: '1h' };

export default function () {
  http.get(`${__ENV.BASE_URL}/products`);
  sleep(0.05);
}
