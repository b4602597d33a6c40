// A fixed arrival rate for comparing latency percentiles with vegeta.
import http from 'k6/http';

export const options = {
  scenarios: {
    fixed: {
      executor: 'constant-arrival-rate',
      rate: Number(__ENV.RATE || 1000),
      timeUnit: '1s',
      duration: __ENV.DURATION || '10s',
      preAllocatedVUs: 64,
      maxVUs: 256,
    },
  },
};

export default function () {
  http.get(__ENV.BASE_URL + (__ENV.URL_PATH || '/'));
}
