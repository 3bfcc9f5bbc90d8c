import { parseBridgeOptions, bridgeNameFor, resolveBridgeName, DEFAULT_BRIDGE_NAME } from './bridge.options';

const K = 'com.docker.network.';

describe('parseBridgeOptions', () => {
  it('gives Docker defaults for an empty map', () => {
    expect(parseBridgeOptions({})).toEqual({
      bridgeName: undefined,
      enableIcc: true,
      enableIpMasquerade: true,
      hostBindingIpv4: undefined,
      defaultBridge: false,
      mtu: 1500,
      containerIfacePrefix: undefined,
    });
  });

  it('parses every option', () => {
    const o = parseBridgeOptions({
      [`${K}bridge.name`]: 'mybr0',
      [`${K}bridge.enable_icc`]: 'false',
      [`${K}bridge.enable_ip_masquerade`]: 'F',
      [`${K}bridge.host_binding_ipv4`]: '127.0.0.1',
      [`${K}bridge.default_bridge`]: 'TRUE',
      [`${K}driver.mtu`]: '9000',
      [`${K}container_iface_prefix`]: 'en',
    });
    expect(o).toMatchObject({ bridgeName: 'mybr0', enableIcc: false, enableIpMasquerade: false, defaultBridge: true, mtu: 9000, containerIfacePrefix: 'en' });
    expect(o.hostBindingIpv4?.toString()).toBe('127.0.0.1');
  });

  it('treats host_binding_ipv4=0.0.0.0 as every address', () => {
    expect(parseBridgeOptions({ [`${K}bridge.host_binding_ipv4`]: '0.0.0.0' }).hostBindingIpv4).toBeUndefined();
  });

  it.each(['1', 't', 'T', 'TRUE', 'true', 'True'])('accepts %s as true', (v) => {
    expect(parseBridgeOptions({ [`${K}bridge.enable_icc`]: v }).enableIcc).toBe(true);
  });
  it.each(['0', 'f', 'F', 'FALSE', 'false', 'False'])('accepts %s as false', (v) => {
    expect(parseBridgeOptions({ [`${K}bridge.enable_icc`]: v }).enableIcc).toBe(false);
  });

  it.each([
    { name: 'unknown key', raw: { 'com.docker.network.bridge.gateway_mode_ipv4': 'nat' }, message: 'unknown option "com.docker.network.bridge.gateway_mode_ipv4" for the bridge driver' },
    { name: 'MTU not a number', raw: { [`${K}driver.mtu`]: 'abc' }, message: 'invalid MTU "abc": must be an integer between 68 and 65535' },
    { name: 'MTU too small', raw: { [`${K}driver.mtu`]: '67' }, message: 'invalid MTU "67": must be an integer between 68 and 65535' },
    { name: 'MTU too large', raw: { [`${K}driver.mtu`]: '65536' }, message: 'invalid MTU "65536": must be an integer between 68 and 65535' },
    { name: 'MTU fractional', raw: { [`${K}driver.mtu`]: '1500.5' }, message: 'invalid MTU "1500.5": must be an integer between 68 and 65535' },
    { name: 'MTU negative', raw: { [`${K}driver.mtu`]: '-1' }, message: 'invalid MTU "-1": must be an integer between 68 and 65535' },
    { name: 'bridge name over 15 characters', raw: { [`${K}bridge.name`]: 'abcdefghijklmnop' }, message: 'invalid bridge name "abcdefghijklmnop": longer than 15 characters' },
    { name: 'bridge name with a slash', raw: { [`${K}bridge.name`]: 'br/0' }, message: `invalid bridge name "br/0": only letters, digits, '_' and '-' are allowed` },
    { name: 'bridge name with a space', raw: { [`${K}bridge.name`]: 'br 0' }, message: `invalid bridge name "br 0": only letters, digits, '_' and '-' are allowed` },
    { name: 'bridge name empty', raw: { [`${K}bridge.name`]: '' }, message: 'invalid bridge name "": empty' },
    { name: 'malformed boolean', raw: { [`${K}bridge.enable_icc`]: 'yes' }, message: 'invalid boolean "yes" for option com.docker.network.bridge.enable_icc' },
    { name: 'malformed boolean (masquerade)', raw: { [`${K}bridge.enable_ip_masquerade`]: 'tRUE' }, message: 'invalid boolean "tRUE" for option com.docker.network.bridge.enable_ip_masquerade' },
    { name: 'malformed host binding', raw: { [`${K}bridge.host_binding_ipv4`]: '1.2.3' }, message: 'invalid address "1.2.3" for option com.docker.network.bridge.host_binding_ipv4' },
    { name: 'iface prefix too long', raw: { [`${K}container_iface_prefix`]: 'abcdefghijklmn' }, message: 'invalid container interface prefix "abcdefghijklmn": longer than 13 characters' },
  ] as { name: string; raw: Record<string, string>; message: string }[])('rejects $name', ({ raw, message }) => {
    expect(() => parseBridgeOptions(raw)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', message }));
  });
});

describe('bridgeNameFor', () => {
  it('is br- and the first 12 hex characters of the id', () => {
    expect(bridgeNameFor('0123456789abcdef0123')).toBe('br-0123456789ab');
  });
  it('rejects a non-hex id', () => {
    expect(() => bridgeNameFor('not-an-id-at-all')).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }));
  });
  it('uses the default name for the default bridge and an explicit name first', () => {
    const opts = parseBridgeOptions({ [`${K}bridge.default_bridge`]: 'true' });
    expect(resolveBridgeName('0123456789abcdef', opts, DEFAULT_BRIDGE_NAME)).toBe('netd0');
    expect(resolveBridgeName('0123456789abcdef', { ...opts, bridgeName: 'x0' }, 'netd0')).toBe('x0');
  });
});
