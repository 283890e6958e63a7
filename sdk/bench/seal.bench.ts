// Sealing throughput in Node: seals per second for a chain of IM-like command bodies.
// Side by side in one run: raw node:crypto HMAC chaining over JSON.stringify(body) with a hex
// digest (what one would write by hand, the limit), Stage's Sealer on nodeSealing (canonical
// JSON + HMAC + hex, what a Node process should use), on jsSealing (the isomorphic default, what
// browsers run) and on nobleSealing, plus ChainVerifier (what the server spends per message).
// Target: stage/raw >= 0.8. Rounds are interleaved; each ratio is the median of the per-round
// ratios (both sides under the same machine load), with its range. Writes bench-results/seal.json.
import { createHmac } from 'node:crypto';
import { ChainVerifier, jsSealing, nobleSealing, Sealer, type SealedEntry } from '../src/seal/index.js';
import { nodeSealing } from '../src/node/nodeSealing.js';
import { bestRate, ratioSpread, spreadOf, writeReport } from './report.js';

const N = Number(globalThis.process?.env.SEAL_BENCH_N ?? 40_000);
const ROUNDS = 12;
const key = new Uint8Array(32).map((_, i) => i * 7 + 1);
const bodies = Array.from({ length: 1024 }, (_, i) => ({
  type: 'SendMessage',
  traceId: `trace-${i.toString(36)}-${(i * 7919).toString(36)}`,
  streamId: i % 17,
  topic: i % 3 === 0 ? 'general' : 'café ☕',
  content: `message number ${i}, a line of chat text`,
}));

let sink = '';

function rawHmacChain(): void {
  let prev: Buffer = Buffer.alloc(32);
  const seqBytes = Buffer.alloc(8);
  for (let seq = 0; seq < N; seq++) {
    seqBytes.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), 0);
    seqBytes.writeUInt32BE(seq >>> 0, 4);
    prev = createHmac('sha256', key).update(prev).update(seqBytes).update(JSON.stringify(bodies[seq & 1023]), 'utf8').digest();
    sink = prev.toString('hex');
  }
}

function stageSealer(sealing: typeof nodeSealing) {
  return () => {
    const sealer = new Sealer({ key, sealing });
    for (let seq = 0; seq < N; seq++) sink = sealer.seal(bodies[seq & 1023]).seal;
  };
}

const chain: SealedEntry[] = [];
{
  const sealer = new Sealer({ key, sealing: nodeSealing });
  for (let seq = 0; seq < N; seq++) chain.push(sealer.seal(bodies[seq & 1023]));
}
function stageVerifier(): void {
  const verifier = new ChainVerifier({ key, sealing: nodeSealing });
  for (let i = 0; i < N; i += 1000) verifier.verify(chain.slice(i, i + 1000));
}

const perRound: Record<string, number[]> = {};
const contenders: Array<[string, () => void]> = [
  ['raw node:crypto HMAC chain', rawHmacChain],
  ['stage Sealer (nodeSealing)', stageSealer(nodeSealing)],
  ['stage Sealer (jsSealing, core default)', stageSealer(jsSealing)],
  ['stage Sealer (nobleSealing)', stageSealer(nobleSealing)],
  ['stage ChainVerifier (nodeSealing)', stageVerifier],
];
// Interleaved rounds (each one warmed up by bestRate): the machine is shared and noisy.
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of contenders) {
    globalThis.gc?.();
    (perRound[name] ??= []).push(await bestRate(N, fn, 1));
  }
}
if (sink.length !== 64) throw new Error('no seal produced');

const raw = perRound['raw node:crypto HMAC chain']!;
const results = Object.fromEntries(Object.entries(perRound).map(([name, rates]) => [name, spreadOf(rates).median]));
const ratioOf = (name: string) => ratioSpread(perRound[name]!, raw);
const ratioSpreads = {
  'stage/raw': ratioOf('stage Sealer (nodeSealing)'),
  'js/raw': ratioOf('stage Sealer (jsSealing, core default)'),
  'noble/raw': ratioOf('stage Sealer (nobleSealing)'),
  'verify/raw': ratioOf('stage ChainVerifier (nodeSealing)'),
};
for (const [k, s] of Object.entries(ratioSpreads)) console.log(`${k.padEnd(11)} ${s.median.toFixed(2)}x [${s.min.toFixed(2)}–${s.max.toFixed(2)}] over ${ROUNDS} rounds`);
writeReport({
  name: 'seal',
  unit: 'seals/s',
  results,
  ratios: Object.fromEntries(Object.entries(ratioSpreads).map(([k, s]) => [k, s.median])),
  notes: {
    entries: N,
    rounds: ROUNDS,
    statistic: 'results: median seals/s over the rounds; ratios: median of the per-round ratios',
    ratio_ranges: Object.fromEntries(Object.entries(ratioSpreads).map(([k, s]) => [k, [s.min, s.max]])),
    body: bodies[1],
    target: 'stage/raw >= 0.8',
  },
});
