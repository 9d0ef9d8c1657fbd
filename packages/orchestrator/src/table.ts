// Plain-text tables for the terminal: columns padded to their widest cell, numbers right-aligned.

/** `numeric`: the indices of columns aligned right. */
export function formatTable(header: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
