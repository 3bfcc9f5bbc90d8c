import { pack, type Header } from 'tar-stream';

/** A tar member: a header (name required) and, for a file, its content. */
export type TarEntry = Partial<Header> & { name: string; body?: Buffer | string };

/** A tar archive written by tar-stream, of members or of `{ name: text }` files. */
export async function tarOf(entries: readonly TarEntry[] | Readonly<Record<string, string>>): Promise<Buffer> {
  const list: readonly TarEntry[] = Array.isArray(entries) ? entries : Object.entries(entries).map(([name, body]) => ({ name, body }));
  const p = pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    p.on('end', () => resolve());
    p.on('error', reject);
  });
  for (const { body, ...header } of list) {
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (header.type === undefined || header.type === 'file') p.entry(header, body ?? '', cb);
      else p.entry(header, cb);
    });
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}
