"""The report's stylesheet (inline; the Content-Security-Policy allows exactly this text by hash)."""

STYLE = """
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6575; --line: #d9dee6; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header, main { max-width: 1180px; margin: 0 auto; padding: 0 20px; }
header h1 { margin: 18px 0 2px; font-size: 22px; }
header p { margin: 0 0 10px; color: var(--muted); }
nav { position: sticky; top: 0; z-index: 1; background: #1d2430; padding: 6px 20px; text-align: center; }
nav a { color: #e8ecf2; text-decoration: none; margin: 0 10px; font-size: 13px; }
nav a:hover { text-decoration: underline; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; margin: 16px 0;
  padding: 4px 18px 14px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
h4 { font-size: 12px; margin: 4px 0; color: var(--muted); font-weight: 600; }
svg.chart { display: block; max-width: 100%; height: auto; font-size: 12px; fill: var(--ink); }
svg .legend { font-size: 12px; }
svg .value, svg .tick { fill: var(--muted); font-size: 11px; }
svg .axis { stroke: #8a93a3; stroke-width: 1; }
svg .threshold { stroke: #111; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg .threshold-label { font-size: 11px; font-weight: 600; }
table { border-collapse: collapse; margin: 6px 0; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 3px 10px 3px 0; text-align: left;
  vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.wide { overflow-x: auto; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(500px, 1fr)); gap: 4px 24px; }
.signal h3 { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
.balance { font-size: 15px; }
.ok { color: #fff; background: #2e7d32; border-radius: 3px; padding: 1px 6px; font-size: 12px; }
.bad, .warn { color: #fff; background: #c62828; border-radius: 3px; padding: 1px 6px; }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 8px; }
.tile { border: 1px solid var(--line); border-radius: 5px; padding: 6px 10px; color: var(--muted); }
.figure { font-size: 17px; color: var(--ink); font-weight: 600; }
.sampling, .caption, .notes { color: var(--muted); }
details { border: 1px solid var(--line); border-radius: 5px; margin: 6px 0; padding: 4px 10px; }
summary { cursor: pointer; }
.card { border-left: 3px solid var(--line); margin: 10px 0; padding: 2px 0 2px 10px; min-width: 0; }
.doc-head { font-size: 13px; }
.fate { font-weight: 600; color: #9c2b2b; }
.url, .signals, .more { font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
pre.doc { white-space: pre-wrap; overflow-wrap: anywhere; unicode-bidi: plaintext; max-height: 18em;
  overflow: auto; background: var(--bg); border: 1px solid var(--line); padding: 6px 8px; margin: 4px 0;
  font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.cluster { display: grid; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); gap: 10px;
  border-top: 1px dashed var(--line); }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
.side > div { min-width: 0; }
ol.lines { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; padding-left: 24px;
  overflow-wrap: anywhere; unicode-bidi: plaintext; }
.removed-line { background: #fde2e1; text-decoration: line-through; text-decoration-color: #c62828; }
.other-line { color: var(--muted); }
.tag { font-size: 11px; color: var(--muted); text-decoration: none; }
"""
