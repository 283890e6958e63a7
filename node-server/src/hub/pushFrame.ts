// Push frames, built per recipient without re-encoding the outcome. `{"kind":"push","outcomeId":N,"outcome":…}`
// differs between recipients only in N: the rest (`"outcome":<json>}`) is encoded to UTF-8 once per outcome and
// copied after each recipient's ASCII prefix. Same bytes as encodePushFrame(N, json) from @stage/sdk/im.

/** The part shared by every recipient of an outcome, from its JSON (made once per outcome). */
export function pushBody(outcomeJson: string): Buffer {
  return Buffer.from(`"outcome":${outcomeJson}}`);
}

/** One recipient's whole push frame. */
export function pushFrame(outcomeId: number, body: Buffer): Buffer {
  const prefix = `{"kind":"push","outcomeId":${outcomeId},`;
  const frame = Buffer.allocUnsafe(prefix.length + body.length);
  frame.write(prefix, 0, 'latin1');
  body.copy(frame, prefix.length);
  return frame;
}
