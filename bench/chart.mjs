// A small SVG bar chart of the benchmark medians: throughput per concurrency and sequential
// p50, one bar per client. No dependencies: the chart is plain SVG text.

const COLORS = { 'kernel-native': '#d9480f', '@onkernel/sdk': '#1971c2', 'node:http': '#2f9e44', 'hyper + hop': '#7048e8', 'reqwest + hop': '#ae3ec9', 'rust floor': '#868e96' };

function panel(title, groups, names, summary, pick, unit, x, y, width, height) {
  const values = groups.flatMap((group) => names.map((name) => pick(summary[name], group) ?? 0));
  const max = Math.max(...values, 1);
  const groupWidth = width / groups.length;
  const barWidth = (groupWidth - 20) / names.length;
  let svg = `<text x="${x}" y="${y - 8}" font-size="14" font-weight="bold">${title}</text>`;
  svg += `<line x1="${x}" y1="${y + height}" x2="${x + width}" y2="${y + height}" stroke="#333"/>`;
  groups.forEach((group, g) => {
    names.forEach((name, n) => {
      const value = pick(summary[name], group) ?? 0;
      const barHeight = (value / max) * (height - 20);
      const bx = x + g * groupWidth + 10 + n * barWidth;
      const by = y + height - barHeight;
      svg += `<rect x="${bx.toFixed(1)}" y="${by.toFixed(1)}" width="${(barWidth - 2).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${COLORS[name]}"/>`;
      svg += `<text x="${(bx + barWidth / 2 - 1).toFixed(1)}" y="${(by - 3).toFixed(1)}" font-size="9" text-anchor="middle">${Math.round(value)}</text>`;
    });
    svg += `<text x="${(x + g * groupWidth + groupWidth / 2).toFixed(1)}" y="${y + height + 14}" font-size="11" text-anchor="middle">${group}</text>`;
  });
  svg += `<text x="${x}" y="${y + height + 30}" font-size="10" fill="#555">${unit}</text>`;
  return svg;
}

export function renderChart(summary, concurrency) {
  const names = Object.keys(summary);
  const width = 900;
  let svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="330" font-family="sans-serif">`;
  svg += `<rect width="100%" height="100%" fill="white"/>`;
  svg += panel('Throughput (higher is better)', concurrency.map((n) => `${n} in flight`), names, summary, (s, group) => s.rates[parseInt(group, 10)], 'calls per second', 20, 40, 540, 230);
  svg += panel('Sequential p50 (lower is better)', ['p50'], names, summary, (s) => s.p50Us, 'microseconds per call', 600, 40, 160, 230);
  names.forEach((name, i) => {
    svg += `<rect x="790" y="${60 + i * 22}" width="12" height="12" fill="${COLORS[name]}"/><text x="808" y="${70 + i * 22}" font-size="11">${name}</text>`;
  });
  return `${svg}</svg>\n`;
}
