/**
 * A hub's UNS publisher in a process of its own, for the SIGKILL test: takes values 1, 2, 3… of one tag
 * (from START, up to COUNT of them) as fast as it can, printing each once accept() returned (on disk).
 * With COUNT=0 it only sends what its buffer holds and says "drained" when the buffer is empty.
 */
import { UnsPublisher } from '../../nodes/uns/publisher';

const env = (k: string): string => process.env[k] ?? '';
const publisher = new UnsPublisher(
  { urls: [env('BROKER_URL')], protocolVersion: 4, clientId: 'crash-edge', verifyTls: true, keepaliveS: 30, connectTimeoutMs: 1000, retryMs: 100 },
  { form: { kind: 'sparkplug', ids: { group: 'plant1', edgeNode: 'line1', deviceLevel: 4 } }, bufferFile: env('FILE'), limits: { maxRows: 1_000_000, maxAgeMs: 3600_000 } },
);
const count = Number(env('COUNT'));
let v = Number(env('START'));
const end = v + count;
function next(): void {
  if (v >= end) return;
  publisher.accept([{ name: 'acme/pack/line1/filler/count', value: v, timestamp: v, quality: 'good', type: 'Int64' }]);
  process.stdout.write(`${v}\n`);
  v++;
  setImmediate(next);
}
next();
if (count === 0) {
  const timer = setInterval(() => {
    const s = publisher.status;
    if (s.state === 'connected' && s.buffered === 0) {
      clearInterval(timer);
      process.stdout.write('drained\n');
    }
  }, 20);
}
