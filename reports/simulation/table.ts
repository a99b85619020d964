import { escapeMarkup } from '../format.ts';

/** A table cell: plain text (escaped here), or markup already escaped by its builder. */
export type Cell = string | { html: string };

export interface TableColumn {
  header: string;
  numeric?: boolean;
}

/** An HTML table; numeric columns are right-aligned. */
export function renderTable(
  columns: readonly TableColumn[],
  rows: readonly (readonly Cell[])[],
  caption?: string,
): string {
  const alignment = (column: TableColumn | undefined): string => (column?.numeric ? ' class="num"' : '');
  const head = columns.map((column) => `<th scope="col"${alignment(column)}>${escapeMarkup(column.header)}</th>`);
  const body = rows.map(
    (row) =>
      `<tr>${row.map((cell, index) => `<td${alignment(columns[index])}>${cellMarkup(cell)}</td>`).join('')}</tr>`,
  );
  const captionMarkup = caption ? `<caption>${escapeMarkup(caption)}</caption>\n` : '';
  return `<table>
${captionMarkup}<thead><tr>${head.join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>`;
}

function cellMarkup(cell: Cell): string {
  return typeof cell === 'string' ? escapeMarkup(cell) : cell.html;
}
