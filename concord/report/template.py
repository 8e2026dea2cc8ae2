"""The report page: one Jinja2 template, style sheet and table-sorting script inline.

Cells holding a mart number carry `data-mart`, `data-key` and `data-col` (mart, primary key, column)
so a test can compare the page with the marts.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import jinja2


def num(value: Any, digits: int = 3) -> str:
    """A mart number as shown: 3 decimals, thousands separators for counts, '–' for null."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float | int) or hasattr(value, "__float__"):
        return f"{float(value):.{digits}f}"
    return str(value)


def when(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def sort_key(value: Any) -> str:
    """data-sort attribute: numbers sort numerically, text as text, nulls last."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int | float):
        return repr(float(value))
    return str(value)


STYLE = """
:root { --fg: #1d1d1f; --muted: #5f6368; --line: #e3e3e3; --bg-alt: #f7f7f8; --accent: #2f5fa7;
  --bad: #b3261e; --good: #1e7b34; }
* { box-sizing: border-box; }
body { font: 14px/1.45 "Liberation Sans", Arial, Helvetica, sans-serif;
  color: var(--fg); margin: 0; background: #fff; }
header.page, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header.page { padding-top: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 40px 0 6px; padding-top: 12px; border-top: 2px solid var(--fg); }
h3 { font-size: 16px; margin: 28px 0 8px; }
p.lead, p.note { color: var(--muted); margin: 4px 0 12px; }
nav.toc a { margin-right: 14px; }
a { color: var(--accent); }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; width: auto; display: block; overflow-x: auto; max-width: 100%; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: var(--bg-alt); font-weight: 600; }
td.num { white-space: nowrap; }
th.sortable { cursor: pointer; }
th.sortable::after { content: " ↕"; color: #aaa; font-weight: normal; }
th[aria-sort="ascending"]::after { content: " ↑"; color: var(--fg); }
th[aria-sort="descending"]::after { content: " ↓"; color: var(--fg); }
td.num, th.num { text-align: right; }
tr.bad td.flag { color: var(--bad); font-weight: 600; }
.status-below { color: var(--bad); }
.status-above { color: var(--good); }
.status-none { color: var(--muted); font-style: italic; }
.kpis { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 8px; margin: 8px 0 16px; }
.kpi { background: var(--bg-alt); border-radius: 6px; padding: 8px 12px; }
.kpi .v { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }
.kpi .k { color: var(--muted); font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px 32px; }
figure.chart { margin: 8px 0; max-width: 100%; overflow-x: auto; }
figure.chart svg { max-width: 100%; height: auto; }
p.empty { color: var(--muted); font-style: italic; background: var(--bg-alt); padding: 8px 12px; border-radius: 6px; }
footer { color: var(--muted); margin-top: 48px; padding-bottom: 32px; border-top: 1px solid var(--line); padding-top: 12px; }
code { background: var(--bg-alt); padding: 1px 4px; border-radius: 3px; }
"""

# sorts a table by the clicked column (data-sort holds the raw value; numbers compare as numbers)
SCRIPT = """
(function () {
  function value(cell) { return cell.getAttribute('data-sort') || ''; }
  function compare(a, b) {
    if (a === '' && b === '') return 0; if (a === '') return 1; if (b === '') return -1;
    var x = parseFloat(a), y = parseFloat(b);
    if (!isNaN(x) && !isNaN(y) && String(x) !== 'NaN') return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    table.querySelectorAll('th').forEach(function (th, index) {
      th.classList.add('sortable');
      th.addEventListener('click', function () {
        var ascending = th.getAttribute('aria-sort') !== 'ascending';
        table.querySelectorAll('th').forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r1, r2) {
          var c = compare(value(r1.cells[index]), value(r2.cells[index]));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
"""

TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>Concord report: {{ db_name }}</title>
<style>{{ style|safe }}</style>
</head>
<body>
<header class="page">
<h1>Concord report</h1>
<p class="lead">Human and model agreement in the warehouse <code>{{ db_name }}</code>: {{ sections|length }} project{{ "s" if sections|length != 1 }}. Every number comes from the marts (<code>marts.*</code>); click a table header to sort.</p>
</header>
<main>
<h2 id="workspace">Workspace overview</h2>
<table class="sortable" id="workspace-table">
<thead><tr><th>project</th><th class="num">tasks</th><th class="num">annotators</th><th>worst control by alpha</th><th>model vs human ceiling (largest gap)</th><th class="num">review queue</th><th>last load</th></tr></thead>
<tbody>
{% for s in sections %}{% set h = s.headline %}
<tr>
<td data-sort="{{ s.project_id }}"><a href="#project-{{ s.project_id }}">project {{ s.project_id }}</a></td>
<td class="num" data-sort="{{ sortk(h.n_tasks) }}" data-mart="project_overview" data-key="{{ s.project_id }}" data-col="n_tasks">{{ num(h.n_tasks) }}</td>
<td class="num" data-sort="{{ sortk(h.n_annotators) }}">{{ num(h.n_annotators) }}</td>
{% if h.worst_control %}<td data-sort="{{ sortk(h.worst_control.alpha) }}">{{ h.worst_control.control_name }}: alpha <span data-mart="fct_control_summary" data-key="{{ s.project_id }}|{{ h.worst_control.control_name }}" data-col="alpha">{{ num(h.worst_control.alpha) }}</span>{% if h.worst_control.is_unreliable %} <span class="status-below">(unreliable)</span>{% endif %}</td>
{% else %}<td data-sort="" class="status-none">no alpha (see the section)</td>{% endif %}
{% if h.model_vs_ceiling %}{% set m = h.model_vs_ceiling %}<td data-sort="{{ sortk(m.best_model_agreement_gap) }}">{{ m.control_name }} · {{ m.best_model_version }}: {{ num(m.best_model_agreement) }} vs {{ num(m.best_model_human_ceiling) }} <span class="{{ 'status-below' if m.best_model_agreement_gap < 0 else 'status-above' }}">({{ m.model_status }})</span></td>
{% else %}<td data-sort="" class="status-none">no model predictions</td>{% endif %}
<td class="num" data-sort="{{ sortk(h.queue_length) }}">{{ num(h.queue_length) }}</td>
<td data-sort="{{ when(h.last_loaded_at) }}">{{ when(h.last_loaded_at) }}</td>
</tr>
{% endfor %}
</tbody>
</table>

{% for s in sections %}{% set ov = s.overview %}{% set p = s.project_id %}
<section class="project" id="project-{{ p }}">
<h2>Project {{ p }}</h2>
<nav class="toc"><a href="#p{{ p }}-overview">overview</a><a href="#p{{ p }}-agreement">agreement per control</a><a href="#p{{ p }}-annotators">annotators</a><a href="#p{{ p }}-model">model vs humans</a><a href="#p{{ p }}-queue">review queue</a><a href="#workspace">top</a></nav>

<h3 id="p{{ p }}-overview">Overview</h3>
<div class="kpis">
{% for key, label in [("n_tasks", "tasks"), ("n_annotations", "annotations"), ("n_skipped", "skipped"), ("n_annotators", "annotators"), ("n_controls", "controls"), ("n_scored_controls", "controls scored"), ("n_model_versions", "model versions"), ("n_score_tables", "score tables"), ("n_loads", "loads"), ("queue_length", "tasks to review")] %}
<div class="kpi"><div class="v" data-mart="project_overview" data-key="{{ p }}" data-col="{{ key }}">{{ num(ov[key]) }}</div><div class="k">{{ label }}</div></div>
{% endfor %}
</div>
<p class="note">Last load {{ when(ov.last_loaded_at) }}; {{ ov.n_files }} file{{ "s" if ov.n_files != 1 }} loaded. Latest loads:</p>
<table class="sortable">
<thead><tr><th>loaded at</th><th>command</th><th>file</th><th>format</th><th class="num">records</th></tr></thead>
<tbody>{% for l in s.loads %}<tr><td data-sort="{{ when(l.loaded_at) }}">{{ when(l.loaded_at) }}</td><td data-sort="{{ l.command }}">{{ l.command }}</td><td data-sort="{{ l.file_name }}">{{ l.file_name }}</td><td data-sort="{{ l.file_format }}">{{ l.file_format }}</td><td class="num" data-sort="{{ sortk(l.n_records) }}">{{ num(l.n_records) }}</td></tr>{% endfor %}</tbody>
</table>

<h3 id="p{{ p }}-agreement">Agreement per control</h3>
<p class="note">From <code>marts.fct_control_summary</code> (reliability, the human ceiling and the best model side by side). Alpha below {{ alpha_threshold }} marks a control unreliable.</p>
<table class="sortable" id="p{{ p }}-summary">
<thead><tr><th>control</th><th>type</th><th class="num">tasks</th><th class="num">annotators</th><th class="num">human pairs</th><th class="num">mean pairwise agreement</th><th class="num">alpha</th><th class="num">human ceiling</th><th>best model</th><th class="num">model agreement</th><th>model vs humans</th></tr></thead>
<tbody>
{% for r in s.summary %}{% set k = p ~ "|" ~ r.control_name %}
<tr class="{{ 'bad' if r.is_unreliable }}">
<td data-sort="{{ r.control_name }}">{{ r.control_name }}</td>
<td data-sort="{{ r.control_type }}">{{ r.control_type }}</td>
{% if not r.is_scored %}<td colspan="9" data-sort="" class="status-none">not scored: {{ r.skip_reason }}</td>{% else %}
<td class="num" data-sort="{{ sortk(r.n_tasks) }}">{{ num(r.n_tasks) }}</td>
<td class="num" data-sort="{{ sortk(r.n_annotators) }}">{{ num(r.n_annotators) }}</td>
<td class="num" data-sort="{{ sortk(r.n_human_pairs) }}" data-mart="fct_control_summary" data-key="{{ k }}" data-col="n_human_pairs">{{ num(r.n_human_pairs) }}</td>
<td class="num" data-sort="{{ sortk(r.mean_pairwise_agreement) }}" data-mart="fct_control_summary" data-key="{{ k }}" data-col="mean_pairwise_agreement">{{ num(r.mean_pairwise_agreement) }}</td>
<td class="num flag" data-sort="{{ sortk(r.alpha) }}" data-mart="fct_control_summary" data-key="{{ k }}" data-col="alpha" title="{{ r.alpha_kind }}{{ ': ' ~ r.alpha_reason if r.alpha_reason }}">{{ num(r.alpha) }}</td>
<td class="num" data-sort="{{ sortk(r.human_ceiling) }}" data-mart="fct_control_summary" data-key="{{ k }}" data-col="human_ceiling">{{ num(r.human_ceiling) }}</td>
<td data-sort="{{ r.best_model_version or '' }}">{{ r.best_model_version or "–" }}{% if r.n_model_versions > 1 %} <span class="note">(best of {{ r.n_model_versions }})</span>{% endif %}</td>
<td class="num" data-sort="{{ sortk(r.best_model_agreement) }}" data-mart="fct_control_summary" data-key="{{ k }}" data-col="best_model_agreement">{{ num(r.best_model_agreement) }}</td>
<td data-sort="{{ r.model_status }}" class="{{ 'status-none' if not r.is_predicted_by_model else ('status-below' if r.best_model_agreement_gap is not none and r.best_model_agreement_gap < 0 else 'status-above') }}">{{ r.model_status }}</td>
{% endif %}
</tr>
{% endfor %}
</tbody>
</table>
{% if s.reliability %}
<p class="note">Each reliability coefficient from <code>marts.fct_control_reliability</code>{% if s.has_ci %}, with its confidence interval{% endif %}. A blank cell: not computable for this control (hover for the reason).</p>
<table class="sortable" id="p{{ p }}-reliability">
<thead><tr><th>control</th><th class="num">tasks</th><th class="num">pairs</th>{% for c in s.coefficients %}<th class="num">{{ c.label }}{% if c.ci %} [CI]{% endif %}</th>{% endfor %}</tr></thead>
<tbody>{% for r in s.reliability %}{% set k = p ~ "|" ~ r.control_name %}<tr><td data-sort="{{ r.control_name }}">{{ r.control_name }}</td><td class="num" data-sort="{{ sortk(r.n_units) }}">{{ num(r.n_units) }}</td><td class="num" data-sort="{{ sortk(r.n_pairs) }}">{{ num(r.n_pairs) }}</td>
{% for c in s.coefficients %}<td class="num" data-sort="{{ sortk(r[c.column]) }}" title="{{ r.get(c.column.split('_')[0] ~ '_reason') or '' }}"><span data-mart="fct_control_reliability" data-key="{{ k }}" data-col="{{ c.column }}">{{ num(r[c.column]) }}</span>{% if c.ci and r[c.ci[0]] is not none %} <span class="note">[{{ num(r[c.ci[0]]) }}, {{ num(r[c.ci[1]]) }}]</span>{% endif %}</td>{% endfor %}</tr>{% endfor %}</tbody>
</table>
{% endif %}
<div class="charts">
{% if s.reliability_svg %}<figure class="chart" data-chart="reliability">{{ s.reliability_svg|safe }}</figure>{% endif %}
{% if s.task_hist_svg %}<figure class="chart" data-chart="task_agreement">{{ s.task_hist_svg|safe }}</figure>{% else %}<p class="empty">No task has a scored pair: no agreement distribution.</p>{% endif %}
</div>
{% if s.skipped %}
<p class="note">Controls that are not scored, with the reason (<code>marts.dim_skipped_controls</code>):</p>
<table><thead><tr><th>control</th><th>type</th><th>reason</th></tr></thead><tbody>{% for r in s.skipped %}<tr><td>{{ r.control_name }}</td><td>{{ r.control_type }}</td><td>{{ r.skip_reason }}</td></tr>{% endfor %}</tbody></table>
{% endif %}

<h3 id="p{{ p }}-annotators">Annotators</h3>
<p class="note">Leaderboard over the scored controls (<code>marts.fct_annotator_agreement</code>, pair-weighted over controls), lowest agreement with the others first{% if s.leaderboard|length >= 50 %} (the 50 lowest){% endif %}.</p>
<table class="sortable" id="p{{ p }}-leaderboard">
<thead><tr><th class="num">annotator</th><th class="num">annotations</th><th class="num">skipped</th><th class="num">pairs</th><th class="num">agreement with others</th><th class="num">ground-truth pairs</th><th class="num">agreement with ground truth</th><th class="num">median lead time (s)</th></tr></thead>
<tbody>{% for r in s.leaderboard %}<tr><td class="num" data-sort="{{ sortk(r.annotator_id) }}">{{ r.annotator_id }}</td><td class="num" data-sort="{{ sortk(r.n_annotations) }}">{{ num(r.n_annotations) }}</td><td class="num" data-sort="{{ sortk(r.n_skipped) }}">{{ num(r.n_skipped) }}</td><td class="num" data-sort="{{ sortk(r.n_pairs) }}">{{ num(r.n_pairs) }}</td><td class="num" data-sort="{{ sortk(r.agreement_with_others) }}">{{ num(r.agreement_with_others) }}</td><td class="num" data-sort="{{ sortk(r.n_ground_truth_pairs) }}">{{ num(r.n_ground_truth_pairs) }}</td><td class="num" data-sort="{{ sortk(r.agreement_with_ground_truth) }}">{{ num(r.agreement_with_ground_truth) }}</td><td class="num" data-sort="{{ sortk(r.median_lead_time_seconds) }}">{{ num(r.median_lead_time_seconds, 1) }}</td></tr>{% endfor %}</tbody>
</table>
<div class="charts">
{% if s.heatmap_svg %}<figure class="chart" data-chart="heatmap">{{ s.heatmap_svg|safe }}</figure>{% else %}<p class="empty">No two annotators share a task: no agreement matrix.</p>{% endif %}
{% if s.drift_svg %}<figure class="chart" data-chart="drift">{{ s.drift_svg|safe }}</figure>{% else %}<p class="empty">No dated annotation pairs: no weekly drift.</p>{% endif %}
</div>

<h3 id="p{{ p }}-model">Model vs humans</h3>
{% if s.ceiling %}
<table class="sortable" id="p{{ p }}-ceiling">
<thead><tr><th>control</th><th>model version</th><th class="num">tasks</th><th class="num">human ceiling</th><th class="num">human pairs</th><th class="num">model–human agreement</th><th class="num">model–human pairs</th><th class="num">gap</th></tr></thead>
<tbody>{% for r in s.ceiling %}{% set k = p ~ "|" ~ r.control_name ~ "|" ~ r.model_version %}<tr><td data-sort="{{ r.control_name }}">{{ r.control_name }}</td><td data-sort="{{ r.model_version }}">{{ r.model_version }}</td><td class="num" data-sort="{{ sortk(r.n_tasks) }}">{{ num(r.n_tasks) }}</td><td class="num" data-sort="{{ sortk(r.human_human_agreement) }}" data-mart="fct_agreement_ceiling" data-key="{{ k }}" data-col="human_human_agreement">{{ num(r.human_human_agreement) }}</td><td class="num" data-sort="{{ sortk(r.n_human_pairs) }}">{{ num(r.n_human_pairs) }}</td><td class="num" data-sort="{{ sortk(r.model_human_agreement) }}" data-mart="fct_agreement_ceiling" data-key="{{ k }}" data-col="model_human_agreement">{{ num(r.model_human_agreement) }}</td><td class="num" data-sort="{{ sortk(r.n_model_human_pairs) }}">{{ num(r.n_model_human_pairs) }}</td><td class="num {{ 'status-below' if r.agreement_gap is not none and r.agreement_gap < 0 }}" data-sort="{{ sortk(r.agreement_gap) }}">{{ num(r.agreement_gap) }}</td></tr>{% endfor %}</tbody>
</table>
{% else %}<p class="empty">No model prediction answers a scored control of this project: no comparison with the human ceiling.</p>{% endif %}
<div class="charts">
{% if s.ceiling_svg %}<figure class="chart" data-chart="ceiling">{{ s.ceiling_svg|safe }}</figure>{% endif %}
{% if s.delta_hist_svg %}<figure class="chart" data-chart="delta_histogram">{{ s.delta_hist_svg|safe }}</figure>{% else %}<p class="empty">No model score sits beside a scalar human judgment (Choices / Rating / Number): no score deltas.</p>{% endif %}
{% if s.scatter_svg %}<figure class="chart" data-chart="scatter">{{ s.scatter_svg|safe }}</figure>{% endif %}
{% if s.calibration_svg %}<figure class="chart" data-chart="calibration">{{ s.calibration_svg|safe }}</figure>{% else %}<p class="empty">No confidence score on a Choices control: no calibration.</p>{% endif %}
{% if s.anchoring_svg %}<figure class="chart" data-chart="anchoring">{{ s.anchoring_svg|safe }}</figure>{% else %}<p class="empty">No exposure split of score deltas: no anchoring comparison.</p>{% endif %}
</div>
{% if s.delta_summary %}
<p class="note">Model score against the human consensus per score and model version, task level (<code>marts.fct_score_delta_summary</code>): mean absolute error, mean signed bias (&gt; 0: the model scores higher) and Pearson correlation.</p>
<table class="sortable" id="p{{ p }}-deltas">
<thead><tr><th>control</th><th>score</th><th>model version</th><th class="num">n tasks</th><th class="num">MAE</th><th class="num">mean signed bias</th><th class="num">Pearson r</th></tr></thead>
<tbody>{% for r in s.delta_summary %}<tr><td data-sort="{{ r.control_name }}">{{ r.control_name }}</td><td data-sort="{{ r.score_name }}">{{ r.score_source }}: {{ r.score_name }}</td><td data-sort="{{ r.model_version }}">{{ r.model_version }}</td><td class="num" data-sort="{{ sortk(r.n) }}">{{ num(r.n) }}</td><td class="num" data-sort="{{ sortk(r.mae) }}">{{ num(r.mae) }}</td><td class="num" data-sort="{{ sortk(r.mean_signed_bias) }}">{{ num(r.mean_signed_bias) }}</td><td class="num" data-sort="{{ sortk(r.pearson) }}">{{ num(r.pearson) }}</td></tr>{% endfor %}</tbody>
</table>
{% endif %}
{% if s.calibration %}
<p class="note">Calibration of each confidence score (<code>marts.fct_model_calibration</code>): accuracy = share of predictions matching the human consensus label; ECE = expected calibration error (0 = perfectly calibrated).</p>
<table class="sortable" id="p{{ p }}-calibration">
<thead><tr><th>control</th><th>score</th><th>model version</th><th class="num">predictions</th><th class="num">accuracy</th><th class="num">mean confidence</th><th class="num">ECE</th></tr></thead>
<tbody>{% for r in s.calibration %}<tr><td data-sort="{{ r.control_name }}">{{ r.control_name }}</td><td data-sort="{{ r.score_name }}">{{ r.score_source }}: {{ r.score_name }}</td><td data-sort="{{ r.model_version }}">{{ r.model_version }}</td><td class="num" data-sort="{{ sortk(r.n_units) }}">{{ num(r.n_units) }}</td><td class="num" data-sort="{{ sortk(r.accuracy) }}">{{ num(r.accuracy) }}</td><td class="num" data-sort="{{ sortk(r.mean_score) }}">{{ num(r.mean_score) }}</td><td class="num" data-sort="{{ sortk(r.ece) }}" data-mart="fct_model_calibration" data-key="{{ p }}|{{ r.control_name }}|{{ r.score_source }}|{{ r.score_name }}|{{ r.model_version }}" data-col="ece">{{ num(r.ece) }}</td></tr>{% endfor %}</tbody>
</table>
{% endif %}
{% if s.exposure_agreement %}
<p class="note">Agreement with the model by exposure (<code>marts.fct_model_agreement_by_exposure</code>); {{ s.n_anchoring_flagged }} annotator{{ "s" if s.n_anchoring_flagged != 1 }} flagged for anchoring in <code>marts.fct_anchoring_index</code>.</p>
<table class="sortable">
<thead><tr><th>control</th><th>model version</th><th>exposure</th><th class="num">annotations</th><th class="num">pairs</th><th class="num">mean agreement with the model</th></tr></thead>
<tbody>{% for r in s.exposure_agreement %}<tr><td data-sort="{{ r.control_name }}">{{ r.control_name }}</td><td data-sort="{{ r.model_version }}">{{ r.model_version }}</td><td data-sort="{{ r.exposure }}">{{ r.exposure }}</td><td class="num" data-sort="{{ sortk(r.n_annotations) }}">{{ num(r.n_annotations) }}</td><td class="num" data-sort="{{ sortk(r.n_pairs) }}">{{ num(r.n_pairs) }}</td><td class="num" data-sort="{{ sortk(r.mean_agreement) }}">{{ num(r.mean_agreement) }}</td></tr>{% endfor %}</tbody>
</table>
{% endif %}

<h3 id="p{{ p }}-queue">Review queue</h3>
<p class="note">The first {{ s.queue|length }} of {{ num(ov.queue_length) }} tasks in <code>marts.fct_review_queue</code>, highest priority first.{% if not s.has_ls_url %} Set <code>LABEL_STUDIO_URL</code> (or <code>--ls-url</code>) to link each task to Label Studio.{% endif %}</p>
{% if s.queue %}
<table class="sortable" id="p{{ p }}-queue-table">
<thead><tr><th class="num">queue position (all projects)</th><th class="num">task</th><th>ext id</th><th>reasons</th><th class="num">priority</th><th class="num">annotations</th><th class="num">max |delta|</th></tr></thead>
<tbody>{% for r in s.queue %}<tr><td class="num" data-sort="{{ sortk(r.queue_position) }}">{{ r.queue_position }}</td><td class="num" data-sort="{{ sortk(r.task_id) }}">{% if r.url %}<a href="{{ r.url }}">{{ r.task_id }}</a>{% else %}{{ r.task_id }}{% endif %}</td><td data-sort="{{ r.ext_id or '' }}">{{ r.ext_id or "–" }}</td><td data-sort="{{ r.reasons }}">{{ r.reasons|replace(",", ", ") }}</td><td class="num" data-sort="{{ sortk(r.priority) }}" data-mart="fct_review_queue" data-key="{{ r.task_id }}" data-col="priority">{{ num(r.priority) }}</td><td class="num" data-sort="{{ sortk(r.n_annotations) }}">{{ num(r.n_annotations) }}</td><td class="num" data-sort="{{ sortk(r.max_abs_delta) }}">{{ num(r.max_abs_delta) }}</td></tr>{% endfor %}</tbody>
</table>
{% else %}<p class="empty">No task needs review.</p>{% endif %}
</section>
{% endfor %}
</main>
<footer>Built <time id="build-time">{{ built_at }}</time> by <code>concord report</code> from <code>{{ db_name }}</code>. Charts: Vega-Lite (Altair), rendered to SVG by vl-convert.</footer>
<script>{{ script|safe }}</script>
</body>
</html>
"""


def render_page(
    *, sections: list[dict], built_at: str, db_name: str, alpha_threshold: float = 0.667
) -> str:
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=False)
    template = env.from_string(TEMPLATE)
    return template.render(
        sections=sections,
        built_at=built_at,
        db_name=db_name,
        style=STYLE,
        script=SCRIPT,
        num=num,
        when=when,
        sortk=sort_key,
        alpha_threshold=alpha_threshold,
    )
