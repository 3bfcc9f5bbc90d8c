import { InvalidParameterError } from '@app/common';
import { constants } from 'node:os';

const SIGRTMIN = 34;
const SIGRTMAX = 64;

const BY_NAME = new Map<string, number>(Object.entries(constants.signals).map(([k, v]) => [k.slice(3), v]));
BY_NAME.set('CLD', constants.signals.SIGCHLD);
BY_NAME.set('RTMIN', SIGRTMIN);
BY_NAME.set('RTMAX', SIGRTMAX);
for (let i = 1; i <= 15; i++) {
  BY_NAME.set(`RTMIN+${i}`, SIGRTMIN + i);
  BY_NAME.set(`RTMAX-${i}`, SIGRTMAX - i);
}
const NAME_OF = new Map<number, string>();
for (const [k, v] of Object.entries(constants.signals)) if (!NAME_OF.has(v)) NAME_OF.set(v, k);

/**
 * Docker's signal.ParseSignal for Linux: a number (1…64) or a name with or without `SIG`, in
 * any case, `RTMIN+n`/`RTMAX-n` included. Returns the form the runtime takes (`SIGTERM`, or the
 * number for real-time signals); anything else is Docker's `Invalid signal: …`.
 */
export function parseSignal(text: string): string {
  const invalid = () => new InvalidParameterError(`Invalid signal: ${text.slice(0, 64)}`);
  let n: number | undefined;
  if (/^[+-]?\d+$/.test(text)) n = Number(text);
  else n = BY_NAME.get(text.toUpperCase().replace(/^SIG/, ''));
  if (n === undefined || !Number.isInteger(n) || n < 1 || n > SIGRTMAX) throw invalid();
  return NAME_OF.get(n) ?? String(n);
}
