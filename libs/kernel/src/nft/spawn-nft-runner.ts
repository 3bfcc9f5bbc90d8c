import { existsSync } from 'node:fs';
import { NotFoundError } from '@app/common';
import { resolveTool, runCommand } from '../exec';
import type { NetnsRef } from '../netlink.port';
import type { NftResult, NftRunner } from './nft-runner';

/** `nsenter --net=<ns> nft -f -`: one process per call (≈ 20 ms here). The fallback and oracle. */
export class SpawnNftRunner implements NftRunner {
  constructor(private readonly opts: { nft?: string; nsenter?: string; timeoutMs?: number } = {}) {}

  async run(ns: NetnsRef, script: string, opts: { json?: boolean } = {}): Promise<NftResult> {
    if (!existsSync(ns.path)) throw new NotFoundError(`network namespace ${ns.path} does not exist`);
    const nft = resolveTool(this.opts.nft ?? 'nft');
    // With -j, nft reads JSON from -f; a (single) list command goes on the command line instead.
    const args = opts.json ? [`--net=${ns.path}`, nft, '-j', ...script.trim().split(/\s+/)] : [`--net=${ns.path}`, nft, '-f', '-'];
    const input = opts.json ? undefined : script;
    const r = await runCommand(this.opts.nsenter ?? 'nsenter', args, { input, timeoutMs: this.opts.timeoutMs ?? 10_000 });
    return { code: r.code ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  release(): void {}
}
