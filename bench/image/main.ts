// Pull a 3-layer image (3 × 8 MiB of incompressible data) from a local docker-registry 2.8:
// netd's RegistryClient + FileImageStore against `skopeo copy docker://… oci:…` (the baseline),
// measured in the same run, alternating, 5 rounds each. Prints medians and the ratio.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileImageStore, packLayer, pullImage, pushImage, RegistryClient, writeImage } from '@app/image';
import { startRegistry } from '@app/image/testing/registry-process';

const ROUNDS = 5;
const LAYER_BYTES = 8 * 1024 * 1024;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'netd-bench-image-'));
  const reg = await startRegistry();
  const client = new RegistryClient();
  try {
    const src = new FileImageStore(join(work, 'src'));
    const layers = [];
    for (let i = 0; i < 3; i++) layers.push({ packed: await packLayer([{ path: `layer${i}.bin`, type: 'file', data: randomBytes(LAYER_BYTES) }]) });
    const img = await writeImage(src, { layers });
    const ref = `${reg.host}/bench/three:latest`;
    await src.setTag(ref, img.manifestDigest);
    await pushImage(client, src, ref);

    const ours: number[] = [];
    const oursUnpack: number[] = [];
    const skopeo: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      const fresh = new FileImageStore(join(work, `ours-${r}`));
      const res = await pullImage(new RegistryClient(), fresh, ref, { unpack: false });
      ours.push(performance.now() - t);
      if (res.image.manifestDigest !== img.manifestDigest) throw new Error('digest mismatch');
      t = performance.now();
      const fresh2 = new FileImageStore(join(work, `oursu-${r}`));
      await pullImage(client, fresh2, ref);
      oursUnpack.push(performance.now() - t);
      t = performance.now();
      execFileSync('skopeo', ['--insecure-policy', 'copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(work, `skopeo-${r}`)}:latest`], { timeout: 120_000 });
      skopeo.push(performance.now() - t);
    }
    const mb = (3 * LAYER_BYTES) / 1024 / 1024;
    console.log(`image: pull of a 3-layer image (${mb} MiB) from docker-registry on loopback, ${ROUNDS} rounds, median ms`);
    console.log(`  netd pull (verify, no unpack):  ${median(ours).toFixed(1)} ms`);
    console.log(`  netd pull + unpack:             ${median(oursUnpack).toFixed(1)} ms`);
    console.log(`  skopeo copy → oci dir (base):   ${median(skopeo).toFixed(1)} ms`);
    console.log(`  ratio skopeo / netd pull:       ${(median(skopeo) / median(ours)).toFixed(2)}x (>1: netd faster)`);
  } finally {
    await client.close();
    await reg.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
