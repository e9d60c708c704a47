#!/usr/bin/env python3
"""Draws pause.csv (system,live_objects,median_ms,min_ms,ns_per_object) as an
SVG line plot with log-log axes. Stdlib only.

    python3 plot_pause.py pause.csv pause.svg
"""
import csv
import math
import sys

COLORS = {"refgc": "#d62728", "cpython": "#1f77b4", "boehm": "#2ca02c"}
NAMES = {"refgc": "refgc", "cpython": "CPython 3.11", "boehm": "Boehm GC"}
W, H = 720, 480
LEFT, RIGHT, TOP, BOTTOM = 80, 170, 50, 60


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def decade_label(e):
    v = 10.0 ** e
    if e >= 6:
        return f"{v / 1e6:g}M"
    if e >= 3:
        return f"{v / 1e3:g}K"
    if e >= 0:
        return f"{v:g}"
    return f"{v:g}"


def ms_label(e):
    v = 10.0 ** e
    if v >= 1000:
        return f"{v / 1000:g} s"
    if v >= 1:
        return f"{v:g} ms"
    return f"{v * 1000:g} µs"


def main():
    src, dst = sys.argv[1], sys.argv[2]
    series = {}
    with open(src) as f:
        for row in csv.DictReader(f):
            n, ms = float(row["live_objects"]), float(row["median_ms"])
            if n > 0 and ms > 0:
                series.setdefault(row["system"], []).append((n, ms))
    pts = [p for s in series.values() for p in s]
    if not pts:
        raise SystemExit("plot_pause: no data")
    x0 = math.floor(math.log10(min(p[0] for p in pts)))
    x1 = math.ceil(math.log10(max(p[0] for p in pts)))
    y0 = math.floor(math.log10(min(p[1] for p in pts)))
    y1 = math.ceil(math.log10(max(p[1] for p in pts)))
    if x1 == x0:
        x1 += 1
    if y1 == y0:
        y1 += 1
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM

    def px(n):
        return LEFT + (math.log10(n) - x0) / (x1 - x0) * pw

    def py(ms):
        return TOP + ph - (math.log10(ms) - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{LEFT + pw / 2}" y="24" text-anchor="middle" font-size="15">'
           'Full collection pause against live heap size</text>']
    # grid and ticks
    for e in range(x0, x1 + 1):
        x = px(10 ** e)
        out.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#ddd"/>')
        out.append(f'<text x="{x:.1f}" y="{TOP + ph + 18}" text-anchor="middle">'
                   f'{decade_label(e)}</text>')
    for e in range(y0, y1 + 1):
        y = py(10 ** e)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{esc(ms_label(e))}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 15}" text-anchor="middle">'
               'live objects (log scale)</text>')
    out.append(f'<text transform="translate(20,{TOP + ph / 2}) rotate(-90)" text-anchor="middle">'
               'pause, median (log scale)</text>')
    # series
    order = sorted(series, key=lambda k: (k != "refgc", k))
    for i, system in enumerate(order):
        s = series[system]
        s.sort()
        color = COLORS.get(system, ["#9467bd", "#8c564b", "#e377c2"][i % 3])
        path = " ".join(f"{'M' if j == 0 else 'L'}{px(n):.1f},{py(ms):.1f}"
                        for j, (n, ms) in enumerate(s))
        out.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        for n, ms in s:
            out.append(f'<circle cx="{px(n):.1f}" cy="{py(ms):.1f}" r="3.5" fill="{color}">'
                       f'<title>{esc(NAMES.get(system, system))}: {n:,.0f} objects, '
                       f'{ms:.4g} ms</title></circle>')
        ly = TOP + 20 + 22 * i
        lx = LEFT + pw + 20
        out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 24}" y2="{ly}" stroke="{color}" '
                   'stroke-width="2"/>')
        out.append(f'<text x="{lx + 30}" y="{ly + 4}">{esc(NAMES.get(system, system))}</text>')
    out.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
