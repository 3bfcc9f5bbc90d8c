import type { Handler } from '../../command';
import { goJson } from '../../output/go-json';
import { compileTemplate } from '../../output/go-template';
import type { InfoOptions } from './info.command';

/** The server part of docker's `info` layout, for the fields netd reports. */
export const infoHandler: Handler<InfoOptions> = async ({ opts }, { client, output }) => {
  const info = await client.info();
  if (opts.format === 'json') return output.line(goJson(info));
  if (opts.format) return output.line(compileTemplate(opts.format)(info));
  const lines: string[] = ['Server:'];
  const add = (label: string, value: unknown, indent = ' ') => {
    if (value !== undefined && value !== null && value !== '') lines.push(`${indent}${label}: ${String(value)}`);
  };
  add('Containers', info.Containers);
  add('Running', info.ContainersRunning, '  ');
  add('Paused', info.ContainersPaused, '  ');
  add('Stopped', info.ContainersStopped, '  ');
  add('Images', info.Images);
  add('Networks', info.Networks);
  add('Server Version', info.ServerVersion);
  if (info.Plugins?.Network?.length) add('Network', info.Plugins.Network.join(' '));
  add('Kernel Version', info.KernelVersion);
  add('Operating System', info.OperatingSystem);
  add('OSType', info.OSType);
  add('Architecture', info.Architecture);
  add('CPUs', info.NCPU);
  if (info.MemTotal !== undefined) add('Total Memory', `${(info.MemTotal / 1024 ** 3).toFixed(2)}GiB`);
  add('Name', info.Name);
  add('ID', info.ID);
  add('Netd Root Dir', info.DockerRootDir);
  output.line(lines.join('\n'));
  for (const w of info.Warnings ?? []) output.error(w);
};
