// Preloaded (`node --import`) into the vendored reference server, which is kept unchanged:
// its `app.listen(PORT)` would listen on every interface, so a listen without a host gets
// 127.0.0.1, and the address actually bound (PORT=0 picks a free port) is printed to stderr
// as `listening on http://127.0.0.1:PORT` for scripts/conformance to wait on.
import net from 'node:net';

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (first && typeof first === 'object' && first.host === undefined && first.path === undefined) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  this.once('listening', () => {
    const a = this.address();
    if (a && typeof a === 'object') process.stderr.write(`listening on http://${a.address}:${a.port}\n`);
  });
  return listen.apply(this, args);
};
