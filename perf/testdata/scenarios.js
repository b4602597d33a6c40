// One scenario per executor, each short.
import http from 'k6/http';

export const options = {
  scenarios: {
    constant: { executor: 'constant-vus', vus: 2, duration: '300ms', exec: 'hit' },
    ramping: {
      executor: 'ramping-vus', startVUs: 0, exec: 'hit',
      stages: [{ duration: '200ms', target: 3 }, { duration: '200ms', target: 0 }],
      gracefulRampDown: '0s',
    },
    pervu: { executor: 'per-vu-iterations', vus: 2, iterations: 3, exec: 'hit' },
    shared: { executor: 'shared-iterations', vus: 3, iterations: 7, exec: 'hit' },
    rate: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '400ms', preAllocatedVUs: 2, exec: 'hit' },
    ramprate: {
      executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', preAllocatedVUs: 2, maxVUs: 4, exec: 'hit',
      stages: [{ duration: '400ms', target: 100 }],
    },
  },
  thresholds: {
    'iterations{scenario:pervu}': ['count==6'],
    'iterations{scenario:shared}': ['count==7'],
  },
};

export function hit() {
  http.get(`${__ENV.BASE_URL}/products`);
}
