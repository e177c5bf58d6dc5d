// RFC 4180 CSV as Bulk API 2.0 speaks it: quoted fields, doubled quotes, LF or CRLF line endings.

/** Rows of cells; the first row is the header. Accepts quoted fields spanning lines. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  // One cell per match: quoted (with "" escapes) or bare, then its delimiter (comma, line end or the end).
  const cell = /(?:"((?:[^"]|"")*)"|([^,\r\n"]*))(,|\r?\n|$)/y;
  let row: string[] = [];
  cell.lastIndex = 0;
  while (cell.lastIndex < text.length) {
    const at = cell.lastIndex;
    const match = cell.exec(text);
    if (!match || (match[0] === '' && at >= text.length)) break;
    if (match[0] === '') throw new Error(`malformed CSV at character ${at}`);
    row.push(match[1] !== undefined ? match[1].replaceAll('""', '"') : match[2]!);
    if (match[3] !== ',') {
      rows.push(row);
      row = [];
    }
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

export function csvLine(cells: readonly string[]): string {
  return cells.map((c) => `"${c.replaceAll('"', '""')}"`).join(',');
}
