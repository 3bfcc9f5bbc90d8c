import { createHash } from 'node:crypto';
import type { FuzzRequest } from './fuzz-corpus';
import type { Prng } from '@app/common/testing';
import { tarOf, type TarEntry } from './tar';

/** Where each member's 512-byte header and data start in a plain (ustar) tar. */
export function tarMembers(tar: Buffer): { header: number; data: number; size: number; name: string }[] {
  const out: { header: number; data: number; size: number; name: string }[] = [];
  for (let off = 0; off + 512 <= tar.length; ) {
    const block = tar.subarray(off, off + 512);
    if (block.every((b) => b === 0)) break;
    const name = block.subarray(0, 100).toString().replace(/\0.*$/s, '');
    const size = parseInt(block.subarray(124, 136).toString().replace(/\0.*$/s, '').trim() || '0', 8);
    out.push({ header: off, data: off + 512, size, name });
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A docker-archive with one layer whose tar holds `layerEntries`; config and manifest consistent with it. */
async function archiveWithLayer(layerEntries: readonly TarEntry[]): Promise<Buffer> {
  const layer = await tarOf(layerEntries);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(layer)}`] } });
  const configName = `${sha256(config)}.json`;
  return tarOf([
    { name: configName, body: config },
    { name: 'l1/layer.tar', body: layer },
    { name: 'manifest.json', body: JSON.stringify([{ Config: configName, RepoTags: ['fz-hostile:latest'], Layers: ['l1/layer.tar'] }]) },
  ]);
}

/** A tar member header that claims `size` bytes, followed by `actual` bytes and the end. */
function lyingHeader(name: string, size: number, actual: number): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0);
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write('0', 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return Buffer.concat([h, Buffer.alloc(actual, 0x41)]);
}

const load = (name: string, body: Buffer): FuzzRequest => ({ name: `load: ${name}`, method: 'POST', path: '/images/load?quiet=1', headers: { 'content-type': 'application/x-tar' }, body, expect: 'reject' });
const imp = (name: string, body: Buffer): FuzzRequest => ({ name: `import: ${name}`, method: 'POST', path: '/images/create?fromSrc=-&repo=fz-import', headers: { 'content-type': 'application/x-tar' }, body, expect: 'reject' });
const build = (name: string, body: Buffer, query = ''): FuzzRequest => ({ name: `build: ${name}`, method: 'POST', path: `/build?t=fz-build${query}`, headers: { 'content-type': 'application/x-tar' }, body, expect: 'reject' });

/**
 * Hostile archives for load, import and build, each bad by construction: `saved` is a valid
 * docker-archive of an image the daemon holds (its mutations must all be refused), `bait` a
 * file outside the daemon's data root that nothing may read.
 */
export async function archiveCorpus(r: Prng, saved: Buffer, bait: string, n: number): Promise<FuzzRequest[]> {
  const members = tarMembers(saved);
  const blobs = members.filter((m) => /sha256|layer\.tar$/.test(m.name) && m.size > 0);
  const out: FuzzRequest[] = [];
  const fixed: [string, () => Promise<FuzzRequest>][] = [
    ['8 GiB claimed, 100 bytes sent', async () => build('8 GiB claimed, 100 bytes sent', lyingHeader('Dockerfile', 8 * 1024 ** 3, 100))],
    ['load: 8 GiB claimed', async () => load('8 GiB claimed', lyingHeader('manifest.json', 8 * 1024 ** 3, 100))],
    ['Dockerfile symlink to a host file', async () => build('Dockerfile symlink to a host file', await tarOf([{ name: 'Dockerfile', type: 'symlink', linkname: bait }]))],
    ['Dockerfile symlink upwards', async () => build('Dockerfile symlink upwards', await tarOf([{ name: 'Dockerfile', type: 'symlink', linkname: `../../../../../../..${bait}` }]))],
    ['dockerfile query outside', async () => build('dockerfile query outside', await tarOf([{ name: 'Dockerfile', body: 'FROM busybox\n' }]), `&dockerfile=${encodeURIComponent(`../../../../../../..${bait}`)}`)],
    ['COPY of a symlink to a host file', async () => build('COPY of a symlink to a host file', await tarOf([{ name: 'Dockerfile', body: 'FROM busybox\nCOPY secret /secret\n' }, { name: 'secret', type: 'symlink', linkname: bait }]))],
    ['COPY through a symlinked directory', async () => build('COPY through a symlinked directory', await tarOf([{ name: 'Dockerfile', body: `FROM busybox\nCOPY d/${bait.split('/').pop()} /s\n` }, { name: 'd', type: 'symlink', linkname: bait.slice(0, bait.lastIndexOf('/')) }]))],
    ['COPY ../', async () => build('COPY ../', await tarOf([{ name: 'Dockerfile', body: `FROM busybox\nCOPY ../../../../..${bait} /s\n` }]))],
    ['.dockerignore symlink', async () => build('.dockerignore symlink', await tarOf([{ name: 'Dockerfile', body: 'FROM busybox\nBOGUS x\n' }, { name: '.dockerignore', type: 'symlink', linkname: bait }]))],
    ['entry named ../', async () => build('entry named ../', await tarOf([{ name: 'Dockerfile', body: 'FROM busybox\nBOGUS\n' }, { name: '../../../../outside-pwned', body: 'x' }]))],
    ['unknown instruction', async () => build('unknown instruction', await tarOf([{ name: 'Dockerfile', body: 'FROM busybox\nLABEL a=b\nBOGUS x\n' }]))],
    ['no FROM', async () => build('no FROM', await tarOf([{ name: 'Dockerfile', body: 'LABEL a=b\n' }]))],
    ['no Dockerfile', async () => build('no Dockerfile', await tarOf([{ name: 'x', body: 'y' }]))],
    ['empty body', async () => build('empty body', Buffer.alloc(0))],
    ['garbage body', async () => build('garbage body', Buffer.from('not a tar at all'.repeat(100)))],
    ['manifest {}', async () => load('manifest {}', await tarOf([{ name: 'manifest.json', body: '{}' }]))],
    ['manifest [{}]', async () => load('manifest [{}]', await tarOf([{ name: 'manifest.json', body: '[{}]' }]))],
    ['manifest wrong types', async () => load('manifest wrong types', await tarOf([{ name: 'manifest.json', body: '[{"Config":5,"Layers":"x","RepoTags":[1]}]' }]))],
    ['manifest config outside', async () => load('manifest config outside', await tarOf([{ name: 'manifest.json', body: JSON.stringify([{ Config: `../../../../../..${bait}`, Layers: [] }]) }]))],
    ['manifest config absolute', async () => load('manifest config absolute', await tarOf([{ name: 'manifest.json', body: JSON.stringify([{ Config: bait, Layers: [] }]) }]))],
    ['manifest symlink to a host file', async () => load('manifest symlink to a host file', await tarOf([{ name: 'manifest.json', type: 'symlink', linkname: bait }]))],
    ['config symlink to a host file', async () => load('config symlink to a host file', await tarOf([{ name: 'c.json', type: 'symlink', linkname: bait }, { name: 'manifest.json', body: JSON.stringify([{ Config: 'c.json', Layers: [] }]) }]))],
    ['manifest not JSON', async () => load('manifest not JSON', await tarOf([{ name: 'manifest.json', body: '[{' }]))],
    ['10 MB pax header', async () => load('10 MB pax header', await tarOf([{ name: 'manifest.json', body: '[]', pax: { comment: 'x'.repeat(10 * 1024 * 1024) } }]))],
    ['layer hardlink to a missing target', async () => load('layer hardlink to a missing target', await archiveWithLayer([{ name: 'a', type: 'link', linkname: 'missing' }]))],
    ['layer hardlink to an absolute target', async () => load('layer hardlink to an absolute target', await archiveWithLayer([{ name: 'a', type: 'link', linkname: bait }]))],
    ['layer hardlink upwards', async () => load('layer hardlink upwards', await archiveWithLayer([{ name: 'a', type: 'link', linkname: `../../../../../..${bait}` }]))],
    ['layer 300-byte name', async () => load('layer 300-byte name', await archiveWithLayer([{ name: 'n'.repeat(300), body: 'x' }]))],
    ['layer entry upwards', async () => load('layer entry upwards', await archiveWithLayer([{ name: '../../../../../outside-pwned', body: 'x' }]))],
    ['layer diff id mismatch', async () => {
      const a = await archiveWithLayer([{ name: 'f', body: 'x' }]);
      const m = tarMembers(a).find((x) => x.name === 'l1/layer.tar')!;
      a[m.data + 512] ^= 0x01; // a byte of the file's content, inside the layer: its checksum still holds
      return load('layer diff id mismatch', a);
    }],
    ['load garbage', async () => load('garbage', Buffer.from('\u0000garbage'.repeat(300)))],
    ['load empty', async () => load('empty', Buffer.alloc(0))],
    ['import garbage', async () => imp('garbage', Buffer.from('not a tar'.repeat(200)))],
    ['import hardlink outside', async () => imp('hardlink outside', await tarOf([{ name: 'a', type: 'link', linkname: `../../../../..${bait}` }]))],
    ['import entry upwards', async () => imp('entry upwards', await tarOf([{ name: '../../../../../outside-pwned', body: 'x' }]))],
    ['import 300-byte name', async () => imp('300-byte name', await tarOf([{ name: 'n'.repeat(300), body: 'x' }]))],
    ['import 8 GiB claimed', async () => imp('8 GiB claimed', lyingHeader('f', 8 * 1024 ** 3, 100))],
  ];
  for (const [, make] of fixed) out.push(await make());
  const mutations: (() => FuzzRequest)[] = [
    () => {
      // cut inside a member's header or data (never on a block boundary, where a shorter archive could still be whole)
      let at = 1 + r.int(Math.max(1, members[members.length - 1].data + members[members.length - 1].size - 1));
      if (at % 512 === 0) at -= 1;
      return load(`truncated at ${at}`, saved.subarray(0, at));
    },
    () => {
      const m = r.pick(members);
      const copy = Buffer.from(saved);
      const at = m.header + r.int(500);
      copy[at] ^= 1 + r.int(255);
      return load(`header byte ${at} of ${m.name} flipped`, copy);
    },
    () => {
      const m = r.pick(blobs);
      const copy = Buffer.from(saved);
      const at = m.data + r.int(m.size);
      copy[at] ^= 1 + r.int(255);
      return load(`blob byte ${at} of ${m.name} flipped`, copy);
    },
    () => {
      let at = 1 + r.int(saved.length - 1025);
      if (at % 512 === 0) at -= 1;
      return imp(`truncated rootfs at ${at}`, saved.subarray(0, at));
    },
    () => {
      const copy = Buffer.from(saved.subarray(0, 1024 * (1 + r.int(8))));
      for (let i = r.int(20); i >= 0; i--) copy[r.int(copy.length)] = r.int(256);
      return build('mangled context', copy);
    },
  ];
  for (let i = out.length; i < n; i++) out.push(r.pick(mutations)());
  return out;
}
