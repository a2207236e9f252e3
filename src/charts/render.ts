import fs from 'node:fs';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/**
 * Server-side charts: a Vega-Lite spec rendered to SVG by Vega (headless, no
 * canvas), then rasterised to PNG by resvg with fonts that cover Thai and
 * Arabic labels, so a chart looks the same in every chat app.
 */

export interface ChartInput {
  kind: 'bar' | 'line';
  title: string;
  points: { label: string; value: number }[];
  /** Axis title for the values (e.g. "THB"). */
  valueTitle?: string | undefined;
  /** Arabic charts read right to left: bars are listed in that order. */
  rtl?: boolean | undefined;
}

const FONT_DIRS = ['/usr/share/fonts/truetype/noto', '/usr/share/fonts/opentype/noto', '/usr/share/fonts/truetype/tlwg'];
const WANTED = ['NotoSans-Regular.ttf', 'NotoSansThai-Regular.ttf', 'NotoSansArabic-Regular.ttf', 'Loma.ttf', 'Garuda.ttf'];

let fontFiles: string[] | undefined;
function fonts(): string[] {
  if (fontFiles) return fontFiles;
  fontFiles = [];
  for (const dir of FONT_DIRS) for (const f of WANTED) if (fs.existsSync(`${dir}/${f}`)) fontFiles.push(`${dir}/${f}`);
  return fontFiles;
}

const FONT_FAMILY = 'Noto Sans, Noto Sans Thai, Noto Sans Arabic, Loma, sans-serif';

export function chartSpec(input: ChartInput): TopLevelSpec {
  const data = input.points.map((p, i) => ({ label: p.label, value: p.value, order: i }));
  const x = input.kind === 'line'
    ? { field: 'label', type: 'ordinal' as const, sort: { field: 'order' }, title: null, axis: { labelAngle: -40 } }
    : { field: 'label', type: 'nominal' as const, sort: input.rtl ? { field: 'order', order: 'descending' as const } : { field: 'order' }, title: null, axis: { labelAngle: -30, labelLimit: 140 } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    width: Math.max(320, Math.min(900, 48 * data.length)),
    height: 260,
    title: { text: input.title, font: FONT_FAMILY, fontSize: 15 },
    data: { values: data },
    mark: input.kind === 'line' ? { type: 'line', point: true, strokeWidth: 2.5, color: '#2563eb' } : { type: 'bar', color: '#2563eb', cornerRadiusEnd: 3 },
    encoding: {
      x,
      y: { field: 'value', type: 'quantitative', title: input.valueTitle ?? null, axis: { format: '~s' } },
      tooltip: [{ field: 'label' }, { field: 'value' }],
    },
    config: {
      font: FONT_FAMILY,
      background: '#ffffff',
      view: { stroke: null },
      axis: { labelFont: FONT_FAMILY, titleFont: FONT_FAMILY, labelFontSize: 11, gridColor: '#e5e7eb' },
    },
  } as TopLevelSpec;
}

export async function renderSvg(input: ChartInput): Promise<string> {
  const vg = compile(chartSpec(input)).spec;
  const view = new vega.View(vega.parse(vg), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export async function renderChartPng(input: ChartInput): Promise<Buffer> {
  const svg = await renderSvg(input);
  const files = fonts();
  const resvg = new Resvg(svg, {
    background: '#ffffff',
    fitTo: { mode: 'zoom', value: 2 },
    // Our own font list is enough and loads in milliseconds; fall back to the system's only when it is missing.
    font: { fontFiles: files, loadSystemFonts: files.length === 0, defaultFontFamily: 'Noto Sans' },
  });
  return Buffer.from(resvg.render().asPng());
}

export async function renderChartDataUrl(input: ChartInput): Promise<string> {
  return `data:image/png;base64,${(await renderChartPng(input)).toString('base64')}`;
}
