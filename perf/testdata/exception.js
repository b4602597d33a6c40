import http from 'k6/http';

export const options = { iterations: 6 };

export default function () {
  http.get(`${__ENV.BASE_URL}/products`);
  if (__ITER % 2 === 1) {
    const missing = undefined;
    missing.field = 1;
  }
}
