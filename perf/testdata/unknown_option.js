export const options = { vus: 1, hosts: { 'a': '1.2.3.4' } };
export default function () {}
