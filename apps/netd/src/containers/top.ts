import { SystemError } from '@app/common';

/** Docker's ContainerTopOKBody. */
export interface TopBody {
  Titles: string[];
  Processes: string[][];
}

/**
 * moby parsePSOutput: the header gives the titles; a line is kept when its PID is one of the
 * container's, and thread lines (`-` as PID, with `-m`) follow the process they belong to. The
 * last column takes the rest of the line (a command with spaces).
 */
export function parsePsOutput(output: string, pids: readonly number[]): TopBody {
  const lines = output.split('\n');
  const titles = (lines[0] ?? '').trim().split(/\s+/).filter(Boolean);
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw new SystemError("Couldn't find PID field in ps output");
  const wanted = new Set(pids);
  const processes: string[][] = [];
  let keptPrevious = false;
  const add = (fields: string[]) => processes.push([...fields.slice(0, titles.length - 1), fields.slice(titles.length - 1).join(' ')]);
  for (const line of lines.slice(1)) {
    if (line.length === 0) continue;
    const fields = line.trim().split(/\s+/);
    if (fields[pidIndex] === '-') {
      if (keptPrevious) add(fields);
      continue;
    }
    const pid = Number(fields[pidIndex]);
    if (!Number.isInteger(pid)) throw new SystemError(`Unexpected pid '${fields[pidIndex]}'`);
    keptPrevious = wanted.has(pid);
    if (keptPrevious) add(fields);
  }
  return { Titles: titles, Processes: processes };
}
