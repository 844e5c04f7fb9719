/** A latency sparkline: an inline SVG polyline of the last values. */

const W = 72;
const H = 20;

/** The polyline points for `values` in a W×H box (newest on the right), or '' if none. */
export function sparkPoints(values: readonly number[], width = W, height = H): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 1e-9);
  const step = values.length > 1 ? width / (values.length - 1) : 0;
  return values
    .map((v, i) => {
      const x = values.length > 1 ? i * step : width;
      const y = height - 1 - (Math.max(v, 0) / max) * (height - 2);
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

export function sparkline(values: readonly number[], label: string): SVGSVGElement {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.setAttribute('width', String(W));
  svg.setAttribute('height', String(H));
  svg.setAttribute('class', 'spark');
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  const line = document.createElementNS(ns, 'polyline');
  line.setAttribute('points', sparkPoints(values));
  svg.append(line);
  return svg;
}
