"""Charts for the bulletin PDF as hand-written SVG templates.

WeasyPrint draws inline SVG itself; SVG text does not inherit the page's font, so every
template names the Chinese font on its text. These functions only compute geometry.
"""

from decimal import Decimal

from django.template.loader import render_to_string

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 16, 28, 40


def _nice_max(value):
    value = max(1, int(value))
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return step
    return value


def _ticks(top, n=5):
    return [round(top * i / n) for i in range(n + 1)]


def weekly_chart_svg(weeks):
    """Grouped bars: problems found and closed off per week."""
    if not weeks:
        return ""
    top = _nice_max(max(max(w["opened"], w["closed"]) for w in weeks))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(weeks)
    bar = min(22, slot / 3)
    groups = []
    for index, w in enumerate(weeks):
        x = LEFT + slot * index + slot / 2
        h_open = plot_h * w["opened"] / top
        h_closed = plot_h * w["closed"] / top
        groups.append(
            {
                "label": w["label"],
                "x": round(x, 1),
                "open_x": round(x - bar - 1, 1),
                "closed_x": round(x + 1, 1),
                "open_y": round(TOP + plot_h - h_open, 1),
                "closed_y": round(TOP + plot_h - h_closed, 1),
                "open_h": round(h_open, 1),
                "open_label_y": round(TOP + plot_h - h_open - 3, 1),
                "closed_label_y": round(TOP + plot_h - h_closed - 3, 1),
                "closed_h": round(h_closed, 1),
                "opened": w["opened"],
                "closed": w["closed"],
            }
        )
    ticks = [
        {
            "value": t,
            "y": round(TOP + plot_h - plot_h * t / top, 1),
            "text_y": round(TOP + plot_h - plot_h * t / top + 4, 1),
        }
        for t in _ticks(top)
    ]
    return render_to_string(
        "reports/svg/weekly.svg",
        {
            "width": WIDTH,
            "height": HEIGHT,
            "left": LEFT,
            "tick_x": LEFT - 6,
            "right": WIDTH - RIGHT,
            "baseline": TOP + plot_h,
            "bar": round(bar, 1),
            "groups": groups,
            "ticks": ticks,
            "label_y": TOP + plot_h + 16,
        },
    )


def bar_chart_svg(items):
    """Horizontal bars: closure rate (%) by district."""
    if not items:
        return ""
    row_h, left, label_w = 26, 8, 110
    height = TOP + row_h * len(items) + 24
    plot_w = WIDTH - left - label_w - 60
    bars = []
    for index, item in enumerate(items):
        rate = Decimal(str(item["rate"] or 0))
        bars.append(
            {
                "label": item["unit"],
                "rate": item["rate"],
                "y": TOP + row_h * index,
                "text_y": TOP + row_h * index + row_h / 2 + 4,
                "w": round(float(plot_w * rate / 100), 1),
                "value_x": round(left + label_w + float(plot_w * rate / 100) + 4, 1),
            }
        )
    return render_to_string(
        "reports/svg/bars.svg",
        {
            "width": WIDTH,
            "height": height,
            "x0": left + label_w,
            "label_x": left + label_w - 6,
            "bar_h": row_h - 8,
            "bars": bars,
            "grid": [
                {"x": round(left + label_w + plot_w * p / 100, 1), "p": p}
                for p in (0, 25, 50, 75, 100)
            ],
            "grid_bottom": TOP + row_h * len(items),
            "grid_label_y": TOP + row_h * len(items) + 14,
        },
    )
