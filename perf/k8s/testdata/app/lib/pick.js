export function pick(a) { return a[Math.floor(Math.random() * a.length)]; }
