import type { Readable } from 'node:stream';

export interface ProgramIo {
  stdout(text: string): void;
  stderr(text: string): void;
  exit(code: number): void;
  stdin?: Readable;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGUSR1: 10, SIGTERM: 15 };

/**
 * The few programs fake containers run: `echo`, `true`, `false`, `sh -c "…; exit N"` (echo and
 * exit only), `sleep N` (runs until signalled) and `cat` (stdin to stdout). Anything else is
 * "executable file not found in $PATH", which the CLI turns into exit code 127.
 */
export class FakeProgram {
  private done = false;

  private constructor(
    private readonly argv: string[],
    private readonly io: ProgramIo,
  ) {}

  /** The program, or the runtime's reason it cannot start. */
  static start(argv: string[], io: ProgramIo): FakeProgram | string {
    const known = ['echo', 'true', 'false', 'sh', 'sleep', 'cat'];
    if (!known.includes(argv[0])) return argv[0]?.startsWith('/') ? 'no such file or directory' : 'executable file not found in $PATH';
    return new FakeProgram(argv, io);
  }

  run(): void {
    const [cmd, ...args] = this.argv;
    if (cmd === 'echo') return this.finish(() => this.io.stdout(args.join(' ') + '\n'), 0);
    if (cmd === 'true' || cmd === 'false') return this.finish(() => undefined, cmd === 'true' ? 0 : 1);
    if (cmd === 'sh' && args[0] === '-c') return this.shell(args[1] ?? '');
    if (cmd === 'cat') {
      const stdin = this.io.stdin;
      if (!stdin) return this.finish(() => undefined, 0);
      stdin.on('data', (d: Buffer) => this.io.stdout(d.toString()));
      stdin.on('end', () => this.finish(() => undefined, 0));
    }
    // sleep (and sh without -c): runs until a signal
  }

  signal(name: string): void {
    const n = SIGNALS[name.startsWith('SIG') ? name : `SIG${name}`] ?? Number(name);
    this.finish(() => undefined, 128 + (n || 15));
  }

  private shell(script: string): void {
    let code = 0;
    this.finish(() => {
      for (const part of script.split(';').map((s) => s.trim())) {
        const exit = /^exit (\d+)$/.exec(part);
        if (exit) {
          code = Number(exit[1]);
          return;
        }
        const echo = /^echo (.*?)( >&2)?$/.exec(part);
        if (echo) (echo[2] ? this.io.stderr : this.io.stdout)(echo[1] + '\n');
      }
    }, () => code);
  }

  private finish(body: () => void, code: number | (() => number)): void {
    if (this.done) return;
    this.done = true;
    body();
    this.io.exit(typeof code === 'number' ? code : code());
  }
}
