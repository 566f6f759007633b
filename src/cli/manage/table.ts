/**
 * A table as the OpenStack clients print one:
 * ```
 * +----+--------+
 * | id | status |
 * +----+--------+
 * | 1  | DONE   |
 * +----+--------+
 * ```
 * Cells are single lines (line breaks become spaces), so `grep` and `awk` work on the output.
 */
export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const clean = (cell: string) => cell.replace(/\s*[\r\n]+\s*/g, ' ');
  const body = rows.map((row) => row.map(clean));
  const widths = headers.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: readonly string[]) => `| ${widths.map((w, i) => (cells[i] ?? '').padEnd(w)).join(' | ')} |`;
  return [rule, line(headers), rule, ...body.map(line), rule].join('\n') + '\n';
}

/** A date as operators read it in these tables: `2030-01-01 12:00:00` (UTC). */
export function tableDate(date: Date | null): string {
  return date ? date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '') : '';
}
