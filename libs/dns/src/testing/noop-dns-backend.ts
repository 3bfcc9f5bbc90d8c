import { Asker, DnsBackend, ListenerScope, LookupResult, UpstreamPlan } from '../dns-backend';

/** A backend that knows nobody; tests subclass it and override one method (libnetwork's pattern). */
export class NoopDnsBackend extends DnsBackend {
  generation = 0;
  ttl = 0;
  asker(_scope: ListenerScope, _source: string): Asker | undefined {
    return undefined;
  }
  lookup(_asker: Asker, _name: string, _family: 4 | 6): LookupResult {
    return { kind: 'unknown' };
  }
  reverse(_asker: Asker, _address: string): string | undefined {
    return undefined;
  }
  upstreams(_asker: Asker): UpstreamPlan {
    return { kind: 'none' };
  }
}
