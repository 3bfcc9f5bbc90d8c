/**
 * docker's stdcopy: without a TTY, attach, logs and exec multiplex stdout and stderr on one
 * stream as frames of an 8-byte header (stream type, 3 zero bytes, big-endian length) + payload.
 */
export type StreamType = 0 | 1 | 2 | 3;

export function frame(stream: StreamType, payload: string | Uint8Array): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/**
 * Splits a multiplexed stream, calling `write(stream, payload)` per frame; frames may straddle
 * chunks. Stream 3 (systemerr) carries a daemon error and is thrown at the end.
 */
export async function demultiplex(source: AsyncIterable<Uint8Array | string>, write: (stream: 1 | 2, payload: Buffer) => void | Promise<void>): Promise<void> {
  let buf = Buffer.alloc(0);
  for await (const chunk of source) {
    buf = Buffer.concat([buf, typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk)]);
    while (buf.length >= 8) {
      const len = buf.readUInt32BE(4);
      if (buf.length < 8 + len) break;
      const type = buf[0];
      const payload = buf.subarray(8, 8 + len);
      buf = buf.subarray(8 + len);
      if (type === 3) throw new Error(payload.toString('utf8'));
      if (type !== 1 && type !== 2 && type !== 0) throw new Error(`Unrecognized input header: ${type}`);
      await write(type === 2 ? 2 : 1, payload);
    }
  }
}
