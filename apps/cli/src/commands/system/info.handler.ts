import type { Handler } from '../../command';
import { goJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';
import { bytesSize } from '../../output/go-units';
import { VERSION } from '../../version';
import type { InfoOptions } from './info.command';

/**
 * docker's `info` layout (a Client section, then the Server section in docker's order) for the
 * fields netd reports; `Networks` is netd's own line. Empty fields are left out, as docker does.
 */
export const infoHandler: Handler<InfoOptions> = async ({ opts }, { client, output }) => {
  const info = await client.info();
  if (opts.format === 'json') return output.line(goJson(info));
  if (opts.format) return output.line(compileTemplate(opts.format)(info));
  const lines: string[] = ['Client:', ` Version:    ${VERSION}`, ' Context:    default', ' Debug Mode: false', '', 'Server:'];
  const add = (label: string, value: unknown, indent = ' ') => {
    if (value !== undefined && value !== null && value !== '') lines.push(`${indent}${label}: ${String(value)}`);
  };
  const list = (label: string, values: readonly string[] | null | undefined, indent = '  ') => {
    if (values) lines.push(`${indent}${label}: ${values.join(' ')}`);
  };
  add('Containers', info.Containers);
  add('Running', info.ContainersRunning, '  ');
  add('Paused', info.ContainersPaused, '  ');
  add('Stopped', info.ContainersStopped, '  ');
  add('Images', info.Images);
  add('Networks', info.Networks);
  add('Server Version', info.ServerVersion);
  add('Storage Driver', info.Driver);
  add('Logging Driver', info.LoggingDriver);
  add('Cgroup Driver', info.CgroupDriver);
  add('Cgroup Version', info.CgroupVersion);
  if (info.Plugins) {
    lines.push(' Plugins:');
    list('Volume', info.Plugins.Volume);
    list('Network', info.Plugins.Network);
    list('Log', info.Plugins.Log);
  }
  add('Swarm', info.Swarm?.LocalNodeState);
  if (info.Runtimes) add('Runtimes', Object.keys(info.Runtimes).sort().join(' '));
  add('Default Runtime', info.DefaultRuntime);
  add('Kernel Version', info.KernelVersion);
  add('Operating System', info.OperatingSystem);
  add('OSType', info.OSType);
  add('Architecture', info.Architecture);
  add('CPUs', info.NCPU);
  if (info.MemTotal !== undefined) add('Total Memory', bytesSize(info.MemTotal));
  add('Name', info.Name);
  add('ID', info.ID);
  add('Docker Root Dir', info.DockerRootDir);
  add('Debug Mode', info.Debug);
  add('Experimental', info.ExperimentalBuild);
  const insecure = info.RegistryConfig?.InsecureRegistryCIDRs ?? [];
  const insecureNames = Object.entries(info.RegistryConfig?.IndexConfigs ?? {}).filter(([, c]) => c.Secure === false).map(([n]) => n);
  if (insecure.length + insecureNames.length > 0) {
    lines.push(' Insecure Registries:');
    for (const r of [...insecureNames, ...insecure]) lines.push(`  ${r}`);
  }
  add('Live Restore Enabled', info.LiveRestoreEnabled);
  if (info.DefaultAddressPools?.length) {
    lines.push(' Default Address Pools:');
    for (const p of info.DefaultAddressPools) lines.push(`   Base: ${p.Base}, Size: ${p.Size}`);
  }
  output.line(lines.join('\n'));
  for (const w of info.Warnings ?? []) output.error(w);
};
