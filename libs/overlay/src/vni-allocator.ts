import { createHash } from 'node:crypto';
import { ConflictError, InvalidParameterError, UnavailableError } from '@app/common';
import { MAX_VNI, MIN_VNI } from './peer-record';

/**
 * VXLAN network identifiers, 4096 … 2^24−1 (below 4096 stays free for VLAN-mapped setups, as in
 * Docker's overlay), as a bitmap (2 MiB). The choice for a network is deterministic cluster-wide:
 * it starts at a hash of the network id and probes linearly past used VNIs, so every node that
 * knows the same set of used VNIs picks the same one. Pure.
 */
const SPAN = MAX_VNI - MIN_VNI + 1;

export class VniAllocator {
  private readonly bits = new Uint8Array(Math.ceil(SPAN / 8));
  private used = 0;

  constructor(used: Iterable<number> = []) {
    for (const v of used) this.reserve(v);
  }

  get size(): number {
    return this.used;
  }

  isUsed(vni: number): boolean {
    const i = index(vni);
    return (this.bits[i >> 3] & (1 << (i & 7))) !== 0;
  }

  /** Mark a VNI used. Throws Conflict if it already is. Returns it. */
  reserve(vni: number): number {
    if (this.isUsed(vni)) throw new ConflictError(`VNI ${vni} is already in use`);
    const i = index(vni);
    this.bits[i >> 3] |= 1 << (i & 7);
    this.used++;
    return vni;
  }

  release(vni: number): void {
    if (!this.isUsed(vni)) return;
    const i = index(vni);
    this.bits[i >> 3] &= ~(1 << (i & 7));
    this.used--;
  }

  /** The deterministic first choice for a network, before probing. */
  static preferred(networkId: string): number {
    const h = createHash('sha256').update(networkId).digest();
    return MIN_VNI + (h.readUInt32BE(0) % SPAN);
  }

  /** Pick and reserve the VNI for `networkId`: its preferred VNI, else the next free one (wrapping). */
  allocate(networkId: string): number {
    if (this.used >= SPAN) throw new UnavailableError('no free VNI');
    let i = VniAllocator.preferred(networkId) - MIN_VNI;
    for (;;) {
      const byte = this.bits[i >> 3];
      if (byte === 0xff && (i & 7) === 0) {
        i = (i + 8) % SPAN;
        continue;
      }
      if ((byte & (1 << (i & 7))) === 0) return this.reserve(i + MIN_VNI);
      i = (i + 1) % SPAN;
    }
  }
}

function index(vni: number): number {
  if (!Number.isInteger(vni) || vni < MIN_VNI || vni > MAX_VNI) {
    throw new InvalidParameterError(`VNI out of range ${MIN_VNI}..${MAX_VNI}: ${vni}`);
  }
  return vni - MIN_VNI;
}
