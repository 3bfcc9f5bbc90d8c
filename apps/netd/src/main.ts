#!/usr/bin/env node
// `netd dns-resolver …` runs the DNS resolver process (dns/resolver-process.ts) from the same
// script as the daemon; it loads only what it needs, not the daemon's modules. So does
// `netd install-service` (service/install-service.ts), which writes the systemd units.
if (process.argv[2] === 'dns-resolver') {
  void import('./dns/resolver-process').then((m) => m.runResolver(process.argv.slice(3))).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`netd dns-resolver: ${(e as Error)?.stack ?? e}\n`);
      process.exit(1);
    },
  );
} else if (process.argv[2] === 'install-service') {
  void import('./service/install-service').then((m) => m.installService(process.argv.slice(3))).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`netd install-service: ${(e as Error)?.message ?? e}\n`);
      process.exit(1);
    },
  );
} else {
  void import('./daemon-main');
}
