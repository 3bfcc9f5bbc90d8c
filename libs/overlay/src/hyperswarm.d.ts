// Minimal typings for the parts of hyperswarm / hyperdht / sodium-native netd uses (the packages ship none).
declare module 'hyperdht' {
  import { EventEmitter } from 'node:events';
  interface DhtKeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
  }
  interface DhtOptions {
    bootstrap: Array<{ host: string; port: number } | string>;
    host?: string;
    port?: number;
    keyPair?: DhtKeyPair;
    ephemeral?: boolean;
    firewalled?: boolean;
  }
  class DHT extends EventEmitter {
    constructor(opts: DhtOptions);
    static keyPair(seed?: Uint8Array): DhtKeyPair;
    static bootstrapper(port: number, host: string, opts?: object): DHT;
    readonly bootstrapNodes: Array<{ host: string; port: number }>;
    readonly destroyed: boolean;
    ready(): Promise<void>;
    address(): { host: string; port: number };
    destroy(): Promise<void>;
  }
  export = DHT;
}

declare module 'hyperdht/testnet' {
  import type DHT from 'hyperdht';
  interface Testnet {
    nodes: DHT[];
    bootstrap: Array<{ host: string; port: number }>;
    destroy(): Promise<void>;
  }
  function createTestnet(size?: number, opts?: { host?: string; port?: number; teardown?: unknown }): Promise<Testnet>;
  export = createTestnet;
}

declare module 'hyperswarm' {
  import { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';
  import type DHT from 'hyperdht';
  interface NoiseStream extends Duplex {
    remotePublicKey: Buffer;
  }
  interface Discovery {
    flushed(): Promise<void>;
    refresh(opts?: { server?: boolean; client?: boolean }): Promise<void>;
    destroy(): Promise<void>;
  }
  class Hyperswarm extends EventEmitter {
    constructor(opts: { dht: DHT; keyPair?: { publicKey: Buffer; secretKey: Buffer }; firewall?: (remotePublicKey: Buffer) => boolean; maxPeers?: number });
    readonly dht: DHT;
    readonly connections: Set<unknown>;
    join(topic: Uint8Array, opts?: { server?: boolean; client?: boolean }): Discovery;
    leave(topic: Uint8Array): Promise<void>;
    joinPeer(publicKey: Uint8Array): void;
    leavePeer(publicKey: Uint8Array): void;
    flush(): Promise<void>;
    destroy(): Promise<void>;
    on(event: 'connection', listener: (socket: NoiseStream) => void): this;
  }
  export = Hyperswarm;
}

// The few libsodium calls the key rotation uses (sodium-native ships no typings).
declare module 'sodium-native' {
  export const crypto_box_SEALBYTES: number;
  export const crypto_box_PUBLICKEYBYTES: number;
  export const crypto_box_SECRETKEYBYTES: number;
  export function crypto_sign_ed25519_pk_to_curve25519(x25519Pk: Buffer, ed25519Pk: Buffer): void;
  export function crypto_sign_ed25519_sk_to_curve25519(x25519Sk: Buffer, ed25519Sk: Buffer): void;
  export function crypto_box_seal(c: Buffer, m: Buffer, pk: Buffer): void;
  export function crypto_box_seal_open(m: Buffer, c: Buffer, pk: Buffer, sk: Buffer): boolean;
  export function sodium_memzero(b: Buffer): void;
}
