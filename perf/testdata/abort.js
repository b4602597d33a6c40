// abortOnFail stops a long test as soon as the threshold fails.
import http from 'k6/http';

export const options = {
  vus: 1,
  duration: '1h',
  thresholds: {
    http_req_failed: [{ threshold: 'rate<0.01', abortOnFail: true }],
  },
};

export default function () {
  http.get(`${__ENV.BASE_URL}/fail`);
}
