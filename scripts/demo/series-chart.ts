import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import { Client } from 'pg';

// The demos' chart: the share price of the top vaults (by all-time return) over chain time, one
// point per bucket close of the vault series (docs/CONTRACT.md §9.1), drawn as an SVG and
// rendered to PNG headless by resvg (no browser). Written to artifacts/demo/ by default.

export interface ChartSeries {
  name: string;
  returnAll: number;
  points: { t: number; price: number }[];
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#17becf', '#8c564b', '#e377c2'];
const W = 1100;
const H = 620;
const M = { left: 80, right: 300, top: 60, bottom: 70 };

/** The top `top` active vaults' series, best all-time return first, at the newest bucket of any vault. */
export async function readTopSeries(databaseUrl: string, top: number): Promise<ChartSeries[]> {
  const c = new Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query<{ id: number; name: string; returnAll: number }>(
      `SELECT v.id, v.name, r."returnAll"
         FROM vault_returns((SELECT coalesce(max("bucketStart"), 0) FROM "VaultSeries")) r JOIN "Vault" v ON v.id = r."vaultId"
        WHERE v.status = 'ACTIVE' AND EXISTS (SELECT 1 FROM "VaultSeries" s WHERE s."vaultId" = v.id)
        ORDER BY r."returnAll" DESC, v.id LIMIT $1`,
      [top],
    );
    const out: ChartSeries[] = [];
    for (const r of rows) {
      const pts = await c.query<{ t: string; price: number }>(
        `SELECT "bucketStart"::text AS t, "sharePrice" AS price FROM "VaultSeries" WHERE "vaultId" = $1 ORDER BY "bucketStart"`,
        [r.id],
      );
      out.push({ name: r.name, returnAll: r.returnAll, points: pts.rows.map((p) => ({ t: Number(p.t), price: p.price })) });
    }
    return out;
  } finally {
    await c.end();
  }
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const stamp = (t: number) => new Date(t * 1000).toISOString().slice(5, 16).replace('T', ' ');

/** The chart as SVG text: axes in chain time (UTC) and share price, a line and a legend entry per vault. */
export function chartSvg(series: ChartSeries[], title: string): string {
  const all = series.flatMap((s) => s.points);
  const t0 = Math.min(...all.map((p) => p.t));
  const t1 = Math.max(...all.map((p) => p.t), t0 + 1);
  const lo = Math.min(1, ...all.map((p) => p.price));
  const hi = Math.max(1, ...all.map((p) => p.price));
  const pad = (hi - lo) * 0.08 || 0.05;
  const [y0, y1] = [lo - pad, hi + pad];
  const x = (t: number) => M.left + ((t - t0) / (t1 - t0)) * (W - M.left - M.right);
  const y = (p: number) => H - M.bottom - ((p - y0) / (y1 - y0)) * (H - M.top - M.bottom);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${M.left}" y="32" font-size="20" font-weight="bold" fill="#222">${esc(title)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const p = y0 + ((y1 - y0) * i) / 5;
    parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(p)}" y2="${y(p)}" stroke="#e3e3e3"/>`);
    parts.push(`<text x="${M.left - 10}" y="${y(p) + 5}" font-size="13" text-anchor="end" fill="#444">${p.toFixed(3)}</text>`);
    const t = t0 + ((t1 - t0) * i) / 5;
    parts.push(`<line x1="${x(t)}" x2="${x(t)}" y1="${M.top}" y2="${H - M.bottom}" stroke="#f0f0f0"/>`);
    parts.push(`<text x="${x(t)}" y="${H - M.bottom + 22}" font-size="13" text-anchor="middle" fill="#444">${stamp(t)}</text>`);
  }
  parts.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y(1)}" y2="${y(1)}" stroke="#999" stroke-dasharray="6 4"/>`);
  parts.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#888"/>`);
  parts.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 18}" font-size="14" text-anchor="middle" fill="#333">chain time (UTC, bucket closes)</text>`);
  parts.push(`<text x="20" y="${(M.top + H - M.bottom) / 2}" font-size="14" text-anchor="middle" fill="#333" transform="rotate(-90 20 ${(M.top + H - M.bottom) / 2})">share price (start = 1)</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.price).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2.5" stroke-linejoin="round"/>`);
    const ly = M.top + 10 + i * 26;
    parts.push(`<line x1="${W - M.right + 20}" x2="${W - M.right + 50}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="4"/>`);
    const ret = `${s.returnAll >= 0 ? '+' : ''}${(s.returnAll * 100).toFixed(1)}%`;
    parts.push(`<text x="${W - M.right + 58}" y="${ly + 5}" font-size="14" fill="#222">${esc(s.name.slice(0, 22))} ${ret}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** The top vaults' chart as a PNG at `file`; the number of vaults drawn (0: no series, no file). */
export async function writeSharePriceChart(databaseUrl: string, file: string, title: string, top = 5): Promise<number> {
  const series = await readTopSeries(databaseUrl, top);
  if (!series.length) return 0;
  const png = new Resvg(chartSvg(series, title), { background: 'white', font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng();
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, png);
  return series.length;
}

/** Both demos' call: the chart of the top vaults under artifacts/demo/, and a line saying where it is. */
export async function showSeriesChart(databaseUrl: string, demo: string, say: (line: string) => void): Promise<void> {
  const file = join(process.cwd(), 'artifacts', 'demo', `${demo}-share-price.png`);
  const n = await writeSharePriceChart(databaseUrl, file, `${demo}: share price of the top vaults by all-time return`);
  say(n ? `Share-price chart of the top ${n} vaults (bucket closes of the vault series): ${file}` : 'No vault series to chart.');
}
