import type { VersionResponse } from '@app/api';
import type { Handler } from '../../command';
import { API_VERSION } from '../../client/netd-api';
import { goJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';
import { COMMIT, VERSION } from '../../version';
import type { VersionOptions } from './version.command';

/** docker's `version` layout: a Client section, then a Server section from GET /version. */
export const versionHandler: Handler<VersionOptions> = async ({ opts }, { client, output }) => {
  const clientInfo = {
    Version: VERSION,
    ApiVersion: API_VERSION,
    GitCommit: COMMIT,
    NodeVersion: process.version,
    Os: process.platform,
    Arch: process.arch,
  };
  let server: VersionResponse | undefined;
  let failure: unknown;
  try {
    server = await client.version();
  } catch (e) {
    failure = e;
  }
  const data = { Client: clientInfo, Server: server ?? null };
  if (opts.format === 'json') output.line(goJson(data));
  else if (opts.format) output.line(compileTemplate(opts.format)(data));
  else {
    output.line(`Client:\n Version:           ${VERSION}\n API version:       ${API_VERSION}\n Node version:      ${process.version}\n Git commit:        ${COMMIT}\n OS/Arch:           ${process.platform}/${process.arch}`);
    if (server) {
      output.line('');
      output.line(`Server: ${server.Platform?.Name ?? 'netd'}`);
      output.line(` Engine:`);
      output.line(`  Version:          ${server.Version}`);
      output.line(`  API version:      ${server.ApiVersion} (minimum version ${server.MinAPIVersion})`);
      output.line(`  Git commit:       ${server.GitCommit}`);
      output.line(`  Built:            ${server.BuildTime}`);
      output.line(`  OS/Arch:          ${server.Os}/${server.Arch}`);
      output.line(`  Kernel version:   ${server.KernelVersion}`);
      output.line(`  Experimental:     ${server.Experimental}`);
      for (const c of server.Components ?? []) {
        if (c.Name === 'Engine') continue;
        output.line(` ${c.Name}:`);
        output.line(`  Version:          ${c.Version}`);
      }
    }
  }
  if (failure) throw failure;
};
