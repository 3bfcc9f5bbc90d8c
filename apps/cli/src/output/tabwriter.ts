/**
 * Go's text/tabwriter, as docker's formatter uses it: `tabwriter.NewWriter(out, 10, 1, 3, ' ', 0)`
 * (minwidth 10, padding 3, no flags). Cells are tab-terminated; the text after a line's last tab
 * is not aligned. Columns are aligned per *column block* (consecutive lines that have that cell),
 * which matters when rows have different numbers of cells.
 */
export interface TabwriterOptions {
  minwidth: number;
  padding: number;
}

export const DOCKER_TABWRITER: TabwriterOptions = { minwidth: 10, padding: 3 };

type Line = string[];

/** Aligns `text` (lines of tab-separated cells) and returns the result. */
export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABWRITER): string {
  const endsWithNewline = text.endsWith('\n');
  const lines: Line[] = (endsWithNewline ? text.slice(0, -1) : text).split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  let out = '';

  const width = (s: string) => [...s].length;

  const writeLines = (from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const line = lines[i];
      line.forEach((cell, j) => {
        out += j < widths.length ? cell + ' '.repeat(Math.max(0, widths[j] - width(cell))) : cell;
      });
      if (i < lines.length - 1 || endsWithNewline) out += '\n';
    }
  };

  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let current = line0; current < line1; current++) {
      if (column >= lines[current].length - 1) continue;
      writeLines(line0, current);
      line0 = current;
      let w = opts.minwidth;
      for (; current < line1; current++) {
        const line = lines[current];
        if (column >= line.length - 1) break;
        w = Math.max(w, width(line[column]) + opts.padding);
      }
      widths.push(w);
      format(line0, current);
      widths.pop();
      line0 = current;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
