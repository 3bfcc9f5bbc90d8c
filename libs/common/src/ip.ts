import ipaddr from 'ipaddr.js';
import { InvalidParameterError } from './errors';

/**
 * Address value types on top of ipaddr.js. Text is parsed once, at the edge, into these; past the
 * edge no raw address string travels. Values are immutable and print in canonical form
 * (dotted quad; RFC 5952 for IPv6), so `toString()` is a stable key.
 */
export type IpFamily = 4 | 6;

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };
const LIMIT: Record<IpFamily, bigint> = { 4: 1n << 32n, 6: 1n << 128n };

export class IpAddr {
  private constructor(
    readonly family: IpFamily,
    /** The address as an unsigned integer of 32 or 128 bits. */
    readonly value: bigint,
  ) {}

  /** Strict parse: dotted-quad IPv4 (no octal, no short forms) or IPv6 without a zone. */
  static parse(text: string): IpAddr {
    const ip = IpAddr.tryParse(text);
    if (!ip) throw new InvalidParameterError(`invalid IP address: ${text}`);
    return ip;
  }

  static tryParse(text: string): IpAddr | undefined {
    if (typeof text !== 'string' || text.length > 45) return undefined;
    if (ipaddr.IPv4.isValidFourPartDecimal(text)) {
      return IpAddr.fromBytes(ipaddr.IPv4.parse(text).toByteArray());
    }
    if (!text.includes('%') && ipaddr.IPv6.isValid(text)) {
      return IpAddr.fromBytes(ipaddr.IPv6.parse(text).toByteArray());
    }
    return undefined;
  }

  static fromBytes(bytes: ArrayLike<number>): IpAddr {
    if (bytes.length !== 4 && bytes.length !== 16) {
      throw new InvalidParameterError(`invalid IP address length: ${bytes.length}`);
    }
    let v = 0n;
    for (let i = 0; i < bytes.length; i++) v = (v << 8n) | BigInt(bytes[i] & 0xff);
    return new IpAddr(bytes.length === 4 ? 4 : 6, v);
  }

  static fromBigInt(family: IpFamily, value: bigint): IpAddr {
    if (value < 0n || value >= LIMIT[family]) {
      throw new InvalidParameterError(`address value out of range for IPv${family}`);
    }
    return new IpAddr(family, value);
  }

  get bits(): number {
    return BITS[this.family];
  }

  toBytes(): Uint8Array {
    if (this.family === 4) {
      const v = Number(this.value);
      return Uint8Array.of(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
    }
    const n = 16;
    const out = new Uint8Array(n);
    let v = this.value;
    for (let i = n - 1; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  }

  /** The address `delta` after this one (negative: before). Throws past the family's range. */
  add(delta: bigint): IpAddr {
    return IpAddr.fromBigInt(this.family, this.value + delta);
  }

  equals(other: IpAddr): boolean {
    return this.family === other.family && this.value === other.value;
  }

  compare(other: IpAddr): number {
    if (this.family !== other.family) return this.family - other.family;
    return this.value < other.value ? -1 : this.value > other.value ? 1 : 0;
  }

  toString(): string {
    if (this.family === 4) {
      // Hot in IPAM and the API: plain number arithmetic instead of bytes and bigint shifts.
      const v = Number(this.value);
      return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
    }
    const bytes = Array.from(this.toBytes());
    // RFC 5952 §5: IPv4-mapped addresses keep the dotted quad.
    if (this.value >> 32n === 0xffffn) return `::ffff:${bytes.slice(12).join('.')}`;
    return new ipaddr.IPv6(bytes).toRFC5952String();
  }

  toJSON(): string {
    return this.toString();
  }
}

/**
 * An address with a prefix length: a subnet (`10.1.0.0/16`) or an interface address
 * (`10.1.0.2/16`). `network()` gives the subnet with host bits cleared.
 */
export class Prefix {
  private constructor(
    readonly address: IpAddr,
    readonly length: number,
  ) {}

  /** Parse `addr/len`. Messages follow Go's net.ParseCIDR, as Docker prints them. */
  static parse(text: string): Prefix {
    const p = Prefix.tryParse(text);
    if (!p) throw new InvalidParameterError(`invalid CIDR address: ${text}`);
    return p;
  }

  static tryParse(text: string): Prefix | undefined {
    if (typeof text !== 'string') return undefined;
    const slash = text.indexOf('/');
    if (slash < 0 || text.indexOf('/', slash + 1) >= 0) return undefined;
    const lenText = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(lenText)) return undefined;
    const address = IpAddr.tryParse(text.slice(0, slash));
    const length = Number(lenText);
    if (!address || length > address.bits) return undefined;
    return new Prefix(address, length);
  }

  static of(address: IpAddr, length: number): Prefix {
    if (!Number.isInteger(length) || length < 0 || length > address.bits) {
      throw new InvalidParameterError(`invalid prefix length ${length} for IPv${address.family}`);
    }
    return new Prefix(address, length);
  }

  get family(): IpFamily {
    return this.address.family;
  }

  /** Number of host bits. */
  get hostBits(): number {
    return this.address.bits - this.length;
  }

  /** Number of addresses the prefix spans (2^hostBits). */
  get size(): bigint {
    return 1n << BigInt(this.hostBits);
  }

  private get mask(): bigint {
    return ((1n << BigInt(this.address.bits)) - 1n) ^ (this.size - 1n);
  }

  /** True when no host bit is set, i.e. this is a subnet in canonical form. */
  get isNetwork(): boolean {
    return (this.address.value & ~this.mask) === 0n;
  }

  /** The subnet this address belongs to (host bits cleared). */
  network(): Prefix {
    return this.isNetwork ? this : new Prefix(IpAddr.fromBigInt(this.family, this.address.value & this.mask), this.length);
  }

  /** First address (the network address). */
  get first(): IpAddr {
    return IpAddr.fromBigInt(this.family, this.address.value & this.mask);
  }

  /** Last address (the IPv4 broadcast address). */
  get last(): IpAddr {
    return IpAddr.fromBigInt(this.family, (this.address.value & this.mask) + this.size - 1n);
  }

  /** The address at `offset` from the network address. */
  nth(offset: bigint): IpAddr {
    if (offset < 0n || offset >= this.size) {
      throw new InvalidParameterError(`offset ${offset} outside ${this.network()}`);
    }
    return IpAddr.fromBigInt(this.family, (this.address.value & this.mask) + offset);
  }

  /** Offset of `ip` from the network address; assumes `contains(ip)`. */
  offsetOf(ip: IpAddr): bigint {
    return ip.value - (this.address.value & this.mask);
  }

  contains(ip: IpAddr): boolean {
    return ip.family === this.family && (ip.value & this.mask) === (this.address.value & this.mask);
  }

  /** True when `other` lies wholly inside this prefix. */
  containsPrefix(other: Prefix): boolean {
    return other.family === this.family && other.length >= this.length && this.contains(other.address);
  }

  overlaps(other: Prefix): boolean {
    return this.containsPrefix(other) || other.containsPrefix(this);
  }

  /** Same address and length (an interface address equals only itself). */
  equals(other: Prefix): boolean {
    return this.length === other.length && this.address.equals(other.address);
  }

  toString(): string {
    return `${this.address.toString()}/${this.length}`;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** A 48-bit Ethernet address, printed lowercase with colons. */
export class MacAddr {
  private constructor(private readonly bytes: Uint8Array) {}

  static parse(text: string): MacAddr {
    const m = typeof text === 'string' ? /^([0-9a-fA-F]{2})([:-])((?:[0-9a-fA-F]{2}\2){4}[0-9a-fA-F]{2})$/.exec(text) : null;
    if (!m) throw new InvalidParameterError(`invalid MAC address: ${text}`);
    return MacAddr.fromBytes(text.split(m[2]).map((h) => parseInt(h, 16)));
  }

  static fromBytes(bytes: ArrayLike<number>): MacAddr {
    if (bytes.length !== 6) throw new InvalidParameterError(`invalid MAC address length: ${bytes.length}`);
    return new MacAddr(Uint8Array.from(bytes));
  }

  /**
   * Docker's stable scheme for IPv4 endpoints: 02:42 followed by the four address bytes
   * (locally administered, unicast).
   */
  static fromIpv4(ip: IpAddr): MacAddr {
    if (ip.family !== 4) throw new InvalidParameterError(`not an IPv4 address: ${ip}`);
    return new MacAddr(Uint8Array.from([0x02, 0x42, ...ip.toBytes()]));
  }

  /** Random, locally administered, unicast. */
  static random(randomBytes: (n: number) => Uint8Array): MacAddr {
    const b = randomBytes(6);
    b[0] = (b[0] & 0xfe) | 0x02;
    return new MacAddr(Uint8Array.from(b));
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }

  equals(other: MacAddr): boolean {
    return this.toString() === other.toString();
  }

  toString(): string {
    return Array.from(this.bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
  }

  toJSON(): string {
    return this.toString();
  }
}
