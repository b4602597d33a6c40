// Many VUs that mostly sleep, for memory per VU.
import http from 'k6/http';
import { check, sleep } from 'k6';

export default function () {
  const res = http.get(__ENV.BASE_URL + '/');
  check(res, { 'status is 200': (r) => r.status === 200 });
  sleep(Number(__ENV.SLEEP || 1));
}
