#!/usr/bin/env node
// `netd dns-resolver …` runs the DNS resolver process (dns/resolver-process.ts) from the same
// script as the daemon; it loads only what it needs, not the daemon's modules.
if (process.argv[2] === 'dns-resolver') {
  void import('./dns/resolver-process').then((m) => m.runResolver(process.argv.slice(3))).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`netd dns-resolver: ${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
} else {
  void import('./daemon-main');
}
