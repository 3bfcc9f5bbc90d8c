import { Firewall, type NftDelta, type NftTable } from './firewall.port';
import type { NetnsRef } from './netlink.port';

/**
 * The null firewall (netavark's `fwnone`): accepts every table and programs nothing, for hosts
 * where another tool owns the firewall. It reports no table as present, so nobody waits on it.
 */
export class NoopFirewall extends Firewall {
  async apply(_ns: NetnsRef, _table: NftTable): Promise<void> {}

  async update(_ns: NetnsRef, _delta: NftDelta): Promise<'delta' | 'full'> {
    return 'delta';
  }

  async deleteTable(_ns: NetnsRef, _family: NftTable['family'], _name: string): Promise<void> {}

  async hasTable(_ns: NetnsRef, _family: NftTable['family'], _name: string): Promise<boolean> {
    return false;
  }

  override async reapplyIfMissing(_ns: NetnsRef): Promise<NftTable[]> {
    return [];
  }
}
