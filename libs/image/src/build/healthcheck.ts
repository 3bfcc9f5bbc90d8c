import { parseDuration } from '@app/common';
import type { ImageConfig } from '../oci';
import { parseError, type Instruction } from './dockerfile-parser';

type Healthcheck = NonNullable<NonNullable<ImageConfig['config']>['Healthcheck']>;

const DURATION_FLAGS: Record<string, keyof Healthcheck> = { interval: 'Interval', timeout: 'Timeout', 'start-period': 'StartPeriod', 'start-interval': 'StartInterval' };

/**
 * `HEALTHCHECK [--interval=…] [--timeout=…] [--start-period=…] [--start-interval=…] [--retries=N] CMD …`
 * or `HEALTHCHECK NONE`, read as BuildKit reads it: exec form gives `["CMD", …]`, shell form
 * `["CMD-SHELL", "…"]`; durations are Go durations (at least 1ms when given).
 */
export function parseHealthcheck(ins: Instruction): Healthcheck {
  const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.rest.trim());
  const kind = m?.[1].toUpperCase() ?? '';
  const rest = (m?.[2] ?? '').trim();
  if (kind === 'NONE') {
    if (rest !== '' || Object.keys(ins.flags).length > 0) throw parseError(ins.line, 'HEALTHCHECK NONE takes no arguments');
    return { Test: ['NONE'] };
  }
  if (kind !== 'CMD') throw parseError(ins.line, `Unknown type "${m?.[1] ?? ''}" in HEALTHCHECK (try CMD)`);
  if (rest === '') throw parseError(ins.line, 'Missing command after HEALTHCHECK CMD');
  const out: Healthcheck = { Test: ['CMD-SHELL', rest] };
  if (rest.startsWith('[')) {
    let json: unknown;
    try {
      json = JSON.parse(rest);
    } catch {
      json = undefined;
    }
    if (Array.isArray(json) && json.length > 0 && json.every((x) => typeof x === 'string')) out.Test = ['CMD', ...(json as string[])];
  }
  for (const [flag, value] of Object.entries(ins.flags)) {
    const field = DURATION_FLAGS[flag];
    if (field) {
      const ns = parseDuration(value);
      if (ns === undefined) throw parseError(ins.line, `time: invalid duration "${value}"`);
      if (ns !== 0n && ns < 1_000_000n) throw parseError(ins.line, `${field} "--${flag}" cannot be less than 1ms`);
      if (ns !== 0n) (out as Record<string, unknown>)[field] = Number(ns);
    } else if (flag === 'retries') {
      if (!/^-?\d{1,9}$/.test(value)) throw parseError(ins.line, `invalid --retries value "${value}"`);
      if (Number(value) < 0) throw parseError(ins.line, `--retries cannot be negative (${value})`);
      if (Number(value) > 0) out.Retries = Number(value);
    } else {
      throw parseError(ins.line, `Unknown flag: ${flag}`);
    }
  }
  return out;
}
