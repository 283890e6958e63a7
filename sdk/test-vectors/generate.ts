// Generates seal.json: test vectors for Stage's sealed logs that any other implementation can
// reuse. Deliberately independent of the SDK: canonical strings are written out by hand and seals
// are computed with node:crypto straight from the spec in sdk/docs/sealed-logs.md.
//   node sdk/test-vectors/generate.ts  (or npx tsx)
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const secret = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
const sessionId = 'session-0001';
const info = Buffer.from(`stage/session-key/v1\u0000${sessionId}`, 'utf8');
const key = createHmac('sha256', secret).update(info).digest();

// [JSON text of the body as it may arrive, its canonical form]
const canonical: Array<[string, string]> = [
  ['{"b":1,"a":2}', '{"a":2,"b":1}'],
  ['{ "z": [3, 2, {"y": null, "x": true}], "a": {"d": false, "c": "s"} }', '{"a":{"c":"s","d":false},"z":[3,2,{"x":true,"y":null}]}'],
  ['{"n":[0,-0,1,-1,1.5,0.1,1e21,1e-7,123456789012345680000,9007199254740991,2.5e-8]}', '{"n":[0,0,1,-1,1.5,0.1,1e+21,1e-7,123456789012345680000,9007199254740991,2.5e-8]}'],
  ['{"s":"line\\nbreak\\ttab \\"quoted\\" back\\\\slash \\u0001 \\u001f \\u007f"}', '{"s":"line\\nbreak\\ttab \\"quoted\\" back\\\\slash \\u0001 \\u001f \u007f"}'],
  ['{"s":"caf\\u00e9 中文 \\ud83d\\ude00 \\u2028"}', '{"s":"café 中文 😀 \u2028"}'],
  ['{"é":1,"z":2,"😀":3,"\\uffff":4,"A":5,"":6}', '{"":6,"A":5,"z":2,"é":1,"😀":3,"\uffff":4}'],
  ['[]', '[]'],
  ['{}', '{}'],
  ['"just a string"', '"just a string"'],
  ['[1,[2,[3,[]]],{}]', '[1,[2,[3,[]]],{}]'],
];

const bodies: string[] = [
  '{"type":"SendMessage","traceId":"t-1","streamId":3,"topic":"general","text":"hello"}',
  '{"type":"MarkRead","streamId":3,"topic":"general","upTo":41}',
  '{"type":"Mute","topic":"café 😀","muted":true}',
  '{"add":-0.5}',
  '[]',
  '{"nested":{"b":[1,2,3],"a":null}}',
];
const canonicalBodies: string[] = [
  '{"streamId":3,"text":"hello","topic":"general","traceId":"t-1","type":"SendMessage"}',
  '{"streamId":3,"topic":"general","type":"MarkRead","upTo":41}',
  '{"muted":true,"topic":"café 😀","type":"Mute"}',
  '{"add":-0.5}',
  '[]',
  '{"nested":{"a":null,"b":[1,2,3]}}',
];

let prev = Buffer.alloc(32);
const entries = bodies.map((body, seq) => {
  const seqBytes = Buffer.alloc(8);
  seqBytes.writeBigUInt64BE(BigInt(seq));
  const input = Buffer.concat([prev, seqBytes, Buffer.from(canonicalBodies[seq]!, 'utf8')]);
  const seal = createHmac('sha256', key).update(input).digest();
  prev = seal;
  return { seq, body: JSON.parse(body) as unknown, canonical: canonicalBodies[seq], hmacInputHex: hex(input), seal: hex(seal) };
});

// A large seq, to pin the 8-byte big-endian encoding beyond 32 bits.
const bigSeq = 2 ** 40 + 5;
const bigSeqBytes = Buffer.alloc(8);
bigSeqBytes.writeBigUInt64BE(BigInt(bigSeq));
const bigPrev = Buffer.from(entries[entries.length - 1]!.seal, 'hex');
const bigBody = '{"k":"v"}';
const bigSeal = createHmac('sha256', key).update(Buffer.concat([bigPrev, bigSeqBytes, Buffer.from(bigBody)])).digest();

const vectors = {
  description:
    'Stage sealed-log test vectors. seal = HMAC-SHA-256(key, prevSeal ‖ u64be(seq) ‖ utf8(canonicalJson(body))), genesis prevSeal = 32 zero bytes; key = HMAC-SHA-256(secret, utf8("stage/session-key/v1" ‖ U+0000 ‖ sessionId)). Spec: sdk/docs/sealed-logs.md',
  keyDerivation: { secretHex: hex(secret), sessionId, infoHex: hex(info), keyHex: hex(key) },
  canonical: canonical.map(([json, canon]) => ({ json, canonical: canon })),
  chain: { keyHex: hex(key), genesisSealHex: '0'.repeat(64), entries },
  largeSeq: { keyHex: hex(key), prevSealHex: bigPrev.toString('hex'), seq: bigSeq, seqHex: bigSeqBytes.toString('hex'), canonical: bigBody, seal: hex(bigSeal) },
};
writeFileSync(new URL('./seal.json', import.meta.url), JSON.stringify(vectors, null, 2) + '\n');
console.log('wrote seal.json');
