"""The report's charts: Altair (Vega-Lite) specs rendered to static SVG by vl-convert.

Static SVG needs no script in the page, renders the same everywhere, and makes no request. Every
chart has a title carrying its n, and axis titles with units. Data arrive aggregated (report.data).
"""

from __future__ import annotations

import re
from typing import Any

import altair as alt

WIDTH = 520
HEIGHT = 260
AGREEMENT_SCALE = alt.Scale(domain=[0, 1])
# Liberation Sans is metric-compatible with Arial: text measured by vl-convert fits where Arial or
# Liberation Sans renders it (every common desktop)
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"


def fmt_n(n: int | None) -> str:
    return f"{int(n or 0):,}"


def _config(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    return (
        chart.configure(font=FONT)
        .configure_title(anchor="start", fontSize=13, subtitleFontSize=11, subtitleColor="#555")
        .configure_axis(labelFontSize=11, titleFontSize=11, labelLimit=260)
        .configure_legend(labelLimit=320, titleLimit=320)
        .configure_view(stroke=None)
    )


def to_svg(chart: alt.TopLevelMixin, prefix: str) -> str:
    """The chart as an SVG string (vl-convert, no browser, no network).

    vl-convert numbers gradient and clip-path ids with a process-wide counter: they are renamed
    `<prefix>-<n>` in order of appearance, so ids are unique in the page and a rebuild is identical."""
    import vl_convert as vlc

    spec = _config(chart).to_dict()
    svg = vlc.vegalite_to_svg(spec).strip()
    ids: dict[str, str] = {}
    for found in re.findall(r'\bid="([^"]+)"', svg):
        ids.setdefault(found, f"{prefix}-{len(ids) + 1}")
    if ids:
        pattern = re.compile(
            r'(\bid="|url\(#|href="#)(' + "|".join(map(re.escape, ids)) + r')([")])'
        )
        svg = pattern.sub(lambda m: f"{m.group(1)}{ids[m.group(2)]}{m.group(3)}", svg)
    # the root <svg> gets a role so the page can be checked for rendered charts
    return re.sub(r"^<svg ", '<svg role="img" ', svg, count=1)


def _title(text: str, subtitle: str | list[str] | None = None) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or "")


# ---------------------------------------------------------------- agreement


def reliability_chart(points: list[dict[str, Any]], n_controls: int) -> alt.FacetChart:
    """points: {control, coefficient, value, ci_low?, ci_high?}: one bar per coefficient, one panel
    per control, an error bar where a CI exists, a dashed rule at alpha 0.667."""
    base = alt.Chart(alt.Data(values=points))
    x = alt.X(
        "value:Q",
        title="coefficient value (unitless; 1 = perfect agreement, 0 = chance level)",
        scale=alt.Scale(domain=[-0.2, 1], clamp=True),
    )
    y = alt.Y("coefficient:N", title=None, sort=None)
    bars = base.mark_bar(color="#4c78a8", height=12).encode(
        x=x, y=y, tooltip=["control:N", "coefficient:N", alt.Tooltip("value:Q", format=".3f")]
    )
    labels = base.mark_text(align="left", dx=4, fontSize=10).encode(
        x=x, y=y, text=alt.Text("value:Q", format=".3f")
    )
    layers = [bars, labels]
    if any(p.get("ci_low") is not None for p in points):
        layers.append(base.mark_rule(color="black").encode(x="ci_low:Q", x2="ci_high:Q", y=y))
    layers.append(base.mark_rule(strokeDash=[4, 3], color="#b3261e").encode(x=alt.datum(0.667)))
    return (
        alt.layer(*layers)
        .properties(width=WIDTH - 160, height=alt.Step(16))
        .facet(
            row=alt.Row(
                "control:N",
                title=None,
                sort=None,
                header=alt.Header(
                    labelAngle=0,
                    labelAlign="left",
                    labelFontWeight="bold",
                    labelOrient="top",
                    labelFontSize=12,
                ),
            ),
            spacing=14,
            title=_title(
                f"Agreement and reliability per control (n = {n_controls} controls)",
                "dashed red line: alpha 0.667, Krippendorff's lowest limit for tentative conclusions",
            ),
        )
        .resolve_scale(y="independent")
    )


def histogram_chart(
    bins: list[dict[str, Any]],
    *,
    x_title: str,
    y_title: str,
    title: str,
    subtitle: str,
    domain: list[float],
    color: str | None = None,
) -> alt.Chart:
    enc: dict[str, Any] = {
        "x": alt.X("bin_start:Q", title=x_title, scale=alt.Scale(domain=domain), bin="binned"),
        "x2": "bin_end:Q",
        "y": alt.Y("n_tasks:Q", title=y_title),
        "tooltip": ["bin_start:Q", "bin_end:Q", "n_tasks:Q"],
    }
    mark: dict[str, Any] = {}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=color.replace("_", " "))
    else:
        mark["color"] = "#4c78a8"
    return (
        alt.Chart(alt.Data(values=bins))
        .mark_bar(**mark)
        .encode(**enc)
        .properties(width=WIDTH, height=HEIGHT, title=_title(title, subtitle))
    )


# ---------------------------------------------------------------- annotators


def heatmap_chart(cells: list[dict[str, Any]], n_pairs: int, n_annotators: int) -> alt.Chart:
    base = alt.Chart(alt.Data(values=cells)).encode(
        x=alt.X("annotator_id_2:O", title="annotator (Label Studio user id)"),
        y=alt.Y("annotator_id_1:O", title="annotator (Label Studio user id)"),
    )
    rect = base.mark_rect().encode(
        color=alt.Color(
            "agreement:Q",
            title="mean pair agreement (0–1)",
            scale=alt.Scale(domain=[0, 1], scheme="viridis"),
        ),
        tooltip=[
            "annotator_id_1:O",
            "annotator_id_2:O",
            alt.Tooltip("agreement:Q", format=".3f"),
            "n_pairs:Q",
        ],
    )
    layers = [rect]
    if n_annotators <= 12:
        layers.append(
            base.mark_text(fontSize=10).encode(
                text=alt.Text("agreement:Q", format=".2f"),
                color=alt.condition(
                    "datum.agreement > 0.6", alt.value("black"), alt.value("white")
                ),
            )
        )
    side = max(200, min(WIDTH - 100, 36 * n_annotators))
    return alt.layer(*layers).properties(
        width=side,
        height=side,
        title=_title(
            f"Annotator × annotator agreement (n = {fmt_n(n_pairs)} pairs)",
            f"{n_annotators} annotators (the busiest 25 at most); all scored controls, pair-weighted",
        ),
    )


def drift_chart(points: list[dict[str, Any]], n_pairs: int, n_weeks: int) -> alt.Chart:
    data = alt.Data(values=[{**p, "annotator": f"annotator {p['annotator_id']}"} for p in points])
    return (
        alt.Chart(data)
        .mark_line(point=True)
        .encode(
            x=alt.X(
                "week_start:O", title="week starting (Monday, UTC)", axis=alt.Axis(labelAngle=-40)
            ),
            y=alt.Y("agreement:Q", title="mean agreement with others (0–1)", scale=AGREEMENT_SCALE),
            color=alt.Color("annotator:N", title="annotator"),
            tooltip=[
                "annotator:N",
                "week_start:O",
                alt.Tooltip("agreement:Q", format=".3f"),
                "n_pairs:Q",
            ],
        )
        .properties(
            width=WIDTH,
            height=HEIGHT,
            title=_title(
                f"Agreement with the others by week (n = {fmt_n(n_pairs)} pair sides)",
                f"{n_weeks} week{'s' if n_weeks != 1 else ''}; busiest 8 annotators; a falling line is drift away from the others",
            ),
        )
    )


# ---------------------------------------------------------------- model vs humans


def ceiling_chart(points: list[dict[str, Any]], n_pairs: int) -> alt.Chart:
    """points: {row (control · model_version), series, value, n}."""
    return (
        alt.Chart(alt.Data(values=points))
        .mark_bar()
        .encode(
            y=alt.Y("row:N", title=None, sort=None),
            yOffset=alt.YOffset("series:N", sort=None),
            x=alt.X("value:Q", title="mean pair agreement (0–1)", scale=AGREEMENT_SCALE),
            color=alt.Color(
                "series:N", title=None, sort=None, scale=alt.Scale(range=["#9e9e9e", "#e45756"])
            ),
            tooltip=["row:N", "series:N", alt.Tooltip("value:Q", format=".3f"), "n:Q"],
        )
        .properties(
            width=WIDTH,
            height=alt.Step(16),
            title=_title(
                f"Model vs the human ceiling (n = {fmt_n(n_pairs)} model–human pairs)",
                "per control · model version; grey: human–human on the tasks the model predicted",
            ),
        )
    )


def scatter_chart(points: list[dict[str, Any]], total: int) -> alt.Chart:
    shown = len(points)
    sampled = f"a deterministic sample of {fmt_n(shown)}" if shown < total else "all points"
    return (
        alt.Chart(alt.Data(values=points))
        .mark_circle(size=40, opacity=0.6)
        .encode(
            x=alt.X("model_score:Q", title="model score (0–1)", scale=alt.Scale(domain=[0, 1])),
            y=alt.Y(
                "consensus_value:Q",
                title="human consensus judgment (normalised, 0–1)",
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("control_name:N", title="control"),
            tooltip=[
                "task_id:Q",
                "control_name:N",
                "model_version:N",
                alt.Tooltip("model_score:Q", format=".3f"),
                alt.Tooltip("consensus_value:Q", format=".3f"),
            ],
        )
        .properties(
            width=WIDTH,
            height=HEIGHT,
            title=_title(
                f"Model score vs human judgment (n = {fmt_n(total)} task scores)", f"{sampled}"
            ),
        )
    )


def calibration_chart(bins: list[dict[str, Any]], n_units: int) -> alt.Chart:
    """bins: fct_model_calibration_bins rows with a series label that carries the series' ECE."""
    diagonal = (
        alt.Chart(alt.Data(values=[{"x": 0, "y": 0}, {"x": 1, "y": 1}]))
        .mark_line(strokeDash=[4, 3], color="#999")
        .encode(x="x:Q", y="y:Q")
    )
    base = alt.Chart(alt.Data(values=bins)).encode(
        x=alt.X(
            "mean_score:Q", title="mean confidence in bin (0–1)", scale=alt.Scale(domain=[0, 1])
        ),
        y=alt.Y(
            "accuracy:Q",
            title="share matching the human consensus (0–1)",
            scale=alt.Scale(domain=[0, 1]),
        ),
        color=alt.Color("series:N", title="control · score · model version (ECE)"),
    )
    line = base.mark_line()
    dots = base.mark_circle().encode(
        size=alt.Size("n_units:Q", title="predictions in bin"),
        tooltip=[
            "series:N",
            "bin_index:Q",
            alt.Tooltip("mean_score:Q", format=".3f"),
            alt.Tooltip("accuracy:Q", format=".3f"),
            "n_units:Q",
        ],
    )
    return alt.layer(diagonal, line, dots).properties(
        width=WIDTH,
        height=HEIGHT,
        title=_title(
            f"Calibration reliability diagram (n = {fmt_n(n_units)} predictions)",
            "dashed: perfect calibration; ECE = expected calibration error (fct_model_calibration)",
        ),
    )


def anchoring_chart(points: list[dict[str, Any]], n_annotations: int) -> alt.Chart:
    """points: {row, exposure, value, n}."""
    return (
        alt.Chart(alt.Data(values=points))
        .mark_bar()
        .encode(
            y=alt.Y("row:N", title=None, sort=None),
            yOffset=alt.YOffset("exposure:N"),
            x=alt.X("value:Q", title="mean |model score − human judgment| (0–1)"),
            color=alt.Color(
                "exposure:N",
                title="annotator saw the model",
                scale=alt.Scale(domain=["exposed", "manual"], range=["#f58518", "#4c78a8"]),
            ),
            tooltip=["row:N", "exposure:N", alt.Tooltip("value:Q", format=".3f"), "n:Q"],
        )
        .properties(
            width=WIDTH,
            height=alt.Step(16),
            title=_title(
                f"Anchoring: exposed vs not exposed (n = {fmt_n(n_annotations)} annotations)",
                "per control · score · model version; a smaller distance when exposed suggests anchoring",
            ),
        )
    )
