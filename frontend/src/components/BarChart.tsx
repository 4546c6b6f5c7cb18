export interface Bar {
  key: string;
  label: string;
  value: number;
  color?: string;
}

/** A small horizontal bar chart in SVG, readable by screen readers as a list. */
export function BarChart({ bars, title, format }: { bars: Bar[]; title: string; format: (n: number) => string }) {
  const max = Math.max(1, ...bars.map((b) => b.value));
  const rowH = 26;
  const labelW = 150;
  const width = 460;
  const barW = width - labelW - 50;
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg role="img" aria-label={title} viewBox={`0 0 ${width} ${Math.max(rowH, bars.length * rowH)}`} width="100%" preserveAspectRatio="xMinYMin meet">
        {bars.map((b, i) => {
          const w = (b.value / max) * barW;
          return (
            <g key={b.key} transform={`translate(0 ${i * rowH})`} data-bar={b.key} data-value={b.value}>
              <text x={labelW - 8} y={rowH / 2 + 4} textAnchor="end" className="chart__label">
                {b.label}
              </text>
              <rect x={labelW} y={4} width={Math.max(w, 1)} height={rowH - 8} rx={3} fill={b.color ?? '#2f7d5b'} />
              <text x={labelW + w + 6} y={rowH / 2 + 4} className="chart__value">
                {format(b.value)}
              </text>
            </g>
          );
        })}
      </svg>
      <ul className="sr-only">
        {bars.map((b) => (
          <li key={b.key}>
            {b.label}: {format(b.value)}
          </li>
        ))}
      </ul>
    </figure>
  );
}
