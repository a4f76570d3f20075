"""What a chart looks like from the back of a room, read off Chromium's own layout.

`CHART_LAYOUT` runs in the page and returns, for every Plotly chart on it, the boxes of its
text (titles, axis titles, tick labels, legend, colour bar, labels drawn on points), the box
of the chart itself, and the size of each heatmap's cells; `problems` turns that into
readable complaints: two texts that overlap, a text cut by the chart or the page, a token
map with cells under MIN_CELL px.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MIN_CELL = 12  # px: a token map's cell, up to MAX_TOKENS tokens a side
MAX_TOKENS = 64
MIN_TEXT = 16  # px: every text in lecture mode, charts, tables, formulas and widgets alike
MIN_CONTRAST = 4.5  # WCAG AA for normal text

CHART_LAYOUT = """() => {
    const box = (el) => { const r = el.getBoundingClientRect();
                          return [r.left, r.top, r.right, r.bottom]; };
    const texts = (chart, sel, kind) => [...chart.querySelectorAll(sel)]
        .filter(el => el.textContent.trim() !== '' && el.getBoundingClientRect().width > 0)
        .map(el => { const style = getComputedStyle(el);
                     return {kind, text: el.textContent.trim().slice(0, 40), box: box(el),
                             size: parseFloat(style.fontSize), colour: style.fill}; });
    const page = document.documentElement.clientWidth;
    return [...document.querySelectorAll('.js-plotly-plot')]
        .filter(chart => chart.getBoundingClientRect().width > 0)
        .map((chart, index) => {
        const svg = chart.querySelector('.main-svg');
        const parts = [
            ...texts(chart, '.g-gtitle text', 'title'),
            ...texts(chart, '.g-xtitle text, .g-x2title text', 'xtitle'),
            ...texts(chart, '.g-ytitle text, .g-y2title text', 'ytitle'),
            ...texts(chart, '.xtick text, .x2tick text', 'xtick'),
            ...texts(chart, '.ytick text, .y2tick text', 'ytick'),
            ...texts(chart, '.legendtext', 'legend'),
            ...texts(chart, '.cbtitle text', 'cbtitle'),
            ...texts(chart, '.colorbar .cbaxis text, .colorbar text.ytick', 'cbtick'),
            ...texts(chart, '.textpoint text', 'point'),
            ...texts(chart, '.annotation-text', 'note'),
            ...texts(chart, '.heatmaplayer text', 'cell'),
        ];
        const layout = chart._fullLayout || {};
        const axes = (t) => [layout[(t.xaxis || 'x').replace('x', 'xaxis')] || {},
                             layout[(t.yaxis || 'y').replace('y', 'yaxis')] || {}];
        // a cell label's background: its cell's colour, from the trace's own scale
        const area = (svg || chart).getBoundingClientRect();
        const parse = (c) => c.startsWith('#')
            ? [1, 3, 5].map(i => parseInt((c.length === 4 ? c.replace(/(\\w)/g, '$1$1')
                                                             : c).slice(i, i + 2), 16))
            : (c.match(/[\\d.]+/g) || []).slice(0, 3).map(Number);
        const colour = (t, v) => {
            const s = t.colorscale, span = (t.zmax - t.zmin) || 1;
            let f = Math.min(1, Math.max(0, (v - t.zmin) / span));
            if (t.reversescale) f = 1 - f;
            for (let i = 1; i < s.length; i++) if (f <= s[i][0]) {
                const a = parse(s[i - 1][1]), b = parse(s[i][1]);
                const w = (f - s[i - 1][0]) / ((s[i][0] - s[i - 1][0]) || 1);
                return a.map((x, k) => x + (b[k] - x) * w);
            }
            return parse(s[s.length - 1][1]);
        };
        parts.filter(p => p.kind === 'cell').forEach(p => {
            const x = (p.box[0] + p.box[2]) / 2 - area.left;
            const y = (p.box[1] + p.box[3]) / 2 - area.top;
            for (const t of (chart._fullData || []).filter(t => t.type === 'heatmap' && t.z)) {
                const [xa, ya] = axes(t);
                if (!xa.p2c || !ya.p2c) continue;
                const c = Math.round(xa.p2c(x - xa._offset));
                const r = Math.round(ya.p2c(y - ya._offset));
                const v = (t.z[r] || [])[c];
                if (typeof v === 'number') { p.behind = colour(t, v); break; }
            }
        });
        const cells = (chart._fullData || []).filter(t => t.type === 'heatmap' && t.z)
            .map(t => {
                const [xa, ya] = axes(t);
                const rows = t.z.length || 0, cols = (t.z[0] || []).length || 0;
                return {rows, cols, width: (xa._length || 0) / Math.max(cols, 1),
                        height: (ya._length || 0) / Math.max(rows, 1),
                        tokens: xa.type === 'category' && ya.type === 'category'};
            });
        const title = (chart.querySelector('.g-gtitle text') || {}).textContent || '';
        return {index, title: title.slice(0, 60), chart: box(svg || chart), page, parts, cells};
    });
}"""

# Every text the page shows outside its charts, under `roots` (APP_ROOTS in the app):
# widgets, captions, tables, formulas (KaTeX's drawn glyphs, not its hidden MathML), with its
# computed size and its contrast against the first opaque background drawn behind it, by
# WCAG's relative luminance. Streamlit's own chrome (the toolbar at the top right, the sidebar's
# page menu) is the framework's, not the app's.
APP_ROOTS = '[data-testid="stMain"], [data-testid="stSidebarUserContent"]'
PAGE_TEXT = """(roots) => {
    const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92
                                 : Math.pow((v + 0.055) / 1.055, 2.4); })
                             .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
    // the first opaque background, among the ancestors, drawn where the text is (a slider's
    // value is a child of its red thumb but drawn above it, on the page)
    const behind = (el, r) => {
        const [x, y] = [(r.left + r.right) / 2, (r.top + r.bottom) / 2];
        for (let e = el; e; e = e.parentElement) {
            const c = rgb(getComputedStyle(e).backgroundColor);
            const b = e.getBoundingClientRect();
            const under = x >= b.left && x <= b.right && y >= b.top && y <= b.bottom;
            if (under && (c.length === 3 || (c.length === 4 && c[3] > 0.5))) return c.slice(0, 3);
        }
        return [255, 255, 255];
    };
    const found = [];
    for (const root of document.querySelectorAll(roots)) {
        const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            const el = node.parentElement;
            if (!node.textContent.trim() || !el) continue;
            if (el.closest('.js-plotly-plot, .katex-mathml, svg, style, script, '
                           + '[data-testid="stToolbar"], [data-testid="stSidebarNav"]')) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const r = range.getBoundingClientRect();
            if (r.width < 1 || r.height < 1) continue;
            const style = getComputedStyle(el);
            if (style.visibility === 'hidden' || Number(style.opacity) === 0) continue;
            const fg = rgb(style.color), bg = behind(el, r);
            const alpha = fg.length > 3 ? fg[3] : 1;
            const seen = fg.slice(0, 3).map((v, i) => v * alpha + bg[i] * (1 - alpha));
            const [hi, lo] = [lum(seen), lum(bg)].sort((a, b) => b - a);
            const where = el.closest('[data-testid]');
            found.push({text: node.textContent.trim().slice(0, 40),
                        size: parseFloat(style.fontSize), contrast: (hi + 0.05) / (lo + 0.05),
                        where: where ? where.dataset.testid : ''});
        }
    }
    return found;
}"""


def _luminance(channels: list[float]) -> float:
    linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
              for c in channels]  # fmt: skip
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(colour: str, behind: list[float] | None = None) -> float:
    """WCAG's contrast of an SVG fill ("rgb(r, g, b)" or "rgba(...)") against `behind`
    (red, green, blue; white when not given)."""
    behind = behind or [255.0, 255.0, 255.0]
    values = [float(v) for v in colour.replace("(", " ").replace(")", " ").replace(",", " ")
              .split()[1:]]  # fmt: skip
    if len(values) < 3:
        return 21.0
    alpha = values[3] if len(values) > 3 else 1.0
    seen = [v * alpha + b * (1 - alpha) for v, b in zip(values[:3], behind, strict=True)]
    high, low = sorted([_luminance(seen), _luminance(list(behind))], reverse=True)
    return (high + 0.05) / (low + 0.05)


# Which kinds of text must never share space. Tick labels of one axis are not compared with
# each other (rotated labels' boxes overlap where their letters do not): the cell size
# check keeps them apart instead.
CLASHES = {
    ("title", k) for k in ("xtitle", "ytitle", "xtick", "ytick", "legend", "cbtitle", "cbtick",
                           "point", "note")
} | {
    ("xtitle", "xtick"), ("ytitle", "ytick"), ("xtitle", "ytick"), ("ytitle", "xtick"),
    ("legend", "xtick"), ("legend", "ytick"), ("legend", "xtitle"), ("legend", "ytitle"),
    ("cbtitle", "xtick"), ("cbtitle", "ytick"), ("cbtick", "xtick"), ("cbtick", "ytick"),
    ("cbtitle", "cbtick"), ("point", "point"), ("legend", "point"), ("cell", "cell"),
    ("title", "cell"), ("legend", "cell"),
}  # fmt: skip


def overlaps(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def inside(inner: list[float], outer: list[float], slack: float = 1.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


@dataclass
class Report:
    charts: int = 0
    views: int = 0
    overlaps: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    small: list[str] = field(default_factory=list)
    smallest: float = float("inf")
    small_text: list[str] = field(default_factory=list)  # under MIN_TEXT px
    faint: list[str] = field(default_factory=list)  # under MIN_CONTRAST
    smallest_text: float = float("inf")
    lowest_contrast: float = float("inf")

    def _text(self, where: str, text: str, size: float, contrast: float) -> None:
        self.smallest_text = min(self.smallest_text, size)
        self.lowest_contrast = min(self.lowest_contrast, contrast)
        if size < MIN_TEXT - 0.01:
            self.small_text.append(f"{where} '{text}' {size:.1f} px")
        if contrast < MIN_CONTRAST:
            self.faint.append(f"{where} '{text}' {contrast:.2f}:1")

    def add_page(self, view: str, texts: list[dict]) -> None:
        """The page's own texts (`PAGE_TEXT`), each place and text once."""
        seen = set()
        for t in texts:
            key = (t["where"], t["text"], round(t["size"]), round(t["contrast"], 1))
            if key not in seen:
                seen.add(key)
                self._text(f"{view}: {t['where'] or 'page'}", t["text"], t["size"], t["contrast"])

    def add(self, view: str, charts: list[dict]) -> None:
        self.views += 1
        for chart in charts:
            self.charts += 1
            name = f"{view}: chart {chart['index']} '{chart['title']}'"
            parts = chart["parts"]
            for i, a in enumerate(parts):
                for b in parts[i + 1 :]:
                    pair = (a["kind"], b["kind"])
                    if (pair in CLASHES or pair[::-1] in CLASHES) and overlaps(a["box"], b["box"]):
                        self.overlaps.append(f"{name}: {a['kind']} '{a['text']}' overlaps "
                                             f"{b['kind']} '{b['text']}'")  # fmt: skip
            page = [0, -1e9, chart["page"], 1e9]
            for part in parts:
                self._text(f"{name}: {part['kind']}", part["text"], part["size"],
                           contrast(part["colour"], part.get("behind")))  # fmt: skip
                if not inside(part["box"], chart["chart"]) or not inside(part["box"], page):
                    self.clipped.append(f"{name}: {part['kind']} '{part['text']}' is cut")
            for cells in chart["cells"]:
                if cells["tokens"] and max(cells["rows"], cells["cols"]) <= MAX_TOKENS:
                    side = min(cells["width"], cells["height"])
                    self.smallest = min(self.smallest, side)
                    if side < MIN_CELL:
                        self.small.append(
                            f"{name}: {cells['rows']} x {cells['cols']} cells of "
                            f"{cells['width']:.0f} x {cells['height']:.0f} px"
                        )

    def line(self) -> str:
        finite = lambda v, f: format(v, f) if v < float("inf") else "-"  # noqa: E731
        return (
            f"lecture layout: {self.charts} charts on {self.views} views checked, overlaps "
            f"{len(self.overlaps)}, clipped {len(self.clipped)}, smallest cell "
            f"{finite(self.smallest, '.0f')} px, smallest text "
            f"{finite(self.smallest_text, '.0f')} px, lowest contrast "
            f"{finite(self.lowest_contrast, '.2f')}"
        )
