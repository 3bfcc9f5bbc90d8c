import { IpAddr } from './ip';

/** The parts of a resolv.conf netd reads: the host's file and the ones it writes for containers. */
export interface ResolvConfLines {
  readonly nameservers: readonly IpAddr[];
  readonly search: readonly string[];
  readonly options: readonly string[];
}

/**
 * Parse resolv.conf text as the C library does: comments (`#`, `;`) and unknown lines are
 * skipped, unparsable nameservers dropped (a link-local zone suffix is cut), the last
 * `search`/`domain` line wins, options accumulate.
 */
export function parseResolvConf(text: string): ResolvConfLines {
  const nameservers: IpAddr[] = [];
  let search: string[] = [];
  const options: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const [key, ...values] = line.split(/\s+/);
    if (key === 'nameserver' && values[0]) {
      const ip = IpAddr.tryParse(values[0].split('%')[0]);
      if (ip) nameservers.push(ip);
    } else if (key === 'search' || key === 'domain') {
      search = values.filter((d) => d !== '' && d !== '.');
    } else if (key === 'options') {
      options.push(...values.filter((o) => o !== ''));
    }
  }
  return { nameservers, search, options };
}
