import { compileTemplate } from './go-template';
import { tabwrite } from './tabwriter';

/**
 * docker's formatter.Context: `--format` is `table …` (header + tabwriter), `json` (`{{json .}}`),
 * or a plain template, one line per item. `\t` and `\n` typed literally in a format are tabs and
 * newlines. The header is the same template run over a record of column titles.
 */
export function formatList(format: string, items: readonly unknown[], header: unknown): string {
  let tmpl = format.trim();
  const isTable = tmpl.startsWith('table');
  if (isTable) tmpl = tmpl.slice('table'.length).replace(/^ /, '');
  else if (tmpl === 'json') tmpl = '{{json .}}';
  tmpl = tmpl.replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  const render = compileTemplate(tmpl);
  const body = items.map((item) => render(item) + '\n').join('');
  if (!isTable) return body;
  return tabwrite(compileTemplate(tmpl, { header: true })(header) + '\n' + body);
}
