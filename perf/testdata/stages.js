// Ramp up and down with stages.
import http from 'k6/http';
import { sleep } from 'k6';

export const options = {
  stages: [
    { duration: '300ms', target: 4 },
    { duration: '200ms', target: 4 },
    { duration: '200ms', target: 0 },
  ],
  thresholds: { vus_max: ['value==4'] },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/products`);
  sleep(0.02);
}
