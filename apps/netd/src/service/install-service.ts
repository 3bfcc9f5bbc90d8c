import { Command, CommanderError } from 'commander';
import { mkdirSync, realpathSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serviceUnit, socketUnit } from './units';

/**
 * `netd install-service [--unit-dir DIR] [--socket PATH] [-- NETD-FLAGS…]`: writes netd.service
 * and netd.socket for this node and this netd (the installed script's real path, so the unit does
 * not depend on PATH) and says how to enable them. It runs no systemctl: what to start, and when,
 * stays with the administrator.
 */
export function installService(argv: readonly string[], out: (s: string) => void = (s) => process.stdout.write(s)): number {
  const program = new Command('netd install-service')
    .description('write systemd units netd.service and netd.socket')
    .option('--unit-dir <dir>', 'where to write the units', '/etc/systemd/system')
    .option('--socket <path>', 'the API socket netd.socket listens on', '/run/netd/netd.sock')
    .argument('[netd-flags...]', 'more netd flags for ExecStart (after --)')
    .exitOverride();
  try {
    program.parse(argv as string[], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    throw e;
  }
  const o = program.opts<{ unitDir: string; socket: string }>();
  if (!o.socket.startsWith('/')) {
    process.stderr.write('netd install-service: --socket must be an absolute path\n');
    return 2;
  }
  const script = realpathSync(process.argv[1]);
  const units = {
    'netd.service': serviceUnit({ node: process.execPath, script, args: program.args }),
    'netd.socket': socketUnit({ socket: o.socket }),
  };
  mkdirSync(o.unitDir, { recursive: true });
  for (const [name, text] of Object.entries(units)) {
    const path = join(o.unitDir, name);
    writeFileSync(`${path}.tmp`, text, { mode: 0o644 });
    renameSync(`${path}.tmp`, path);
    out(`wrote ${path}\n`);
  }
  out('enable and start it with: systemctl daemon-reload && systemctl enable --now netd.socket netd.service\n');
  return 0;
}
