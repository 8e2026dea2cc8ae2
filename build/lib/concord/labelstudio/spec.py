"""A short YAML spec -> a Label Studio labeling config (XML) and the predictions built from scores.

The spec (see docs/labelstudio.md and examples/specs/):

    title: Sentiment review                 # default project title
    media: text                             # text | image | audio (shorthand for one object)
    data_field: text                        # task.data field the object shows (default: media)
    objects:                                # instead of media/data_field, several objects
      - {name: prompt, type: text, field: prompt}
      - {name: outputs, type: list, field: outputs, title: Model outputs}
    ext_id_field: ext_id                    # task.data field with the external id (default ext_id)
    score_field: score                      # task.data field holding the external score
    banner: "Model score: $score"           # Header text (default "Model score: $<score_field>")
    controls:
      - {name: label, type: choices, values: [positive, negative], multiple: false}
      - {name: quality, type: rating, max: 5}
      - {name: rationale, type: textarea}
      - {name: ner, type: labels, values: [PER, ORG]}            # spans on a text object
      - {name: boxes, type: rectanglelabels, values: [defect]}   # boxes on an image object
      - {name: pref, type: pairwise, to: [left, right]}
      - {name: rank, type: ranker, to: outputs}
      - {name: severity, type: number, min: 0, max: 10}
      - {name: policy, type: taxonomy, values: [{Safety: [Violence, Self-harm]}, Spam]}
    prediction:
      model_version: sentiment-v1
      results:
        - {control: label, threshold: 0.5, above: positive, below: negative}
        - {control: boxes, field: model_boxes}   # the value comes from a task.data field

Pure functions only: no I/O except `load_spec` reading the file.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import yaml

from concord.labelstudio.errors import SpecError

MEDIA_TAGS = {
    "text": "Text",
    "image": "Image",
    "audio": "Audio",
    "list": "List",
    "hypertext": "HyperText",
}
CONTROL_TAGS = {
    "choices": "Choices",
    "rating": "Rating",
    "textarea": "TextArea",
    "labels": "Labels",
    "rectanglelabels": "RectangleLabels",
    "pairwise": "Pairwise",
    "ranker": "Ranker",
    "number": "Number",
    "taxonomy": "Taxonomy",
}
# which object types each control can label
CONTROL_TARGETS = {
    "labels": {"text", "hypertext"},
    "rectanglelabels": {"image"},
    "ranker": {"list"},
    "pairwise": {"text", "image", "audio", "hypertext"},
}
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
FIELD_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class ObjectSpec:
    name: str
    type: str
    field: str
    title: str | None = None


@dataclass(frozen=True)
class ControlSpec:
    name: str
    type: str
    to: tuple[str, ...]
    values: tuple[Any, ...] = ()
    multiple: bool = False
    max: float | None = None
    min: float | None = None
    required: bool = False


@dataclass(frozen=True)
class PredictionRule:
    control: str
    field: str | None = None
    threshold: float | None = None
    above: Any = None
    below: Any = None


@dataclass
class Spec:
    path: str
    title: str
    description: str
    objects: list[ObjectSpec]
    controls: list[ControlSpec]
    ext_id_field: str = "ext_id"
    score_field: str | None = "score"
    banner: str | None = None
    model_version: str | None = None
    rules: list[PredictionRule] = field(default_factory=list)

    def control(self, name: str) -> ControlSpec:
        for control in self.controls:
            if control.name == name:
                return control
        raise SpecError(f"{self.path}: no control named {name!r}")

    def obj(self, name: str) -> ObjectSpec:
        for obj in self.objects:
            if obj.name == name:
                return obj
        raise SpecError(f"{self.path}: no object named {name!r}")


def _req(mapping: dict, key: str, where: str) -> Any:
    if key not in mapping or mapping[key] in (None, ""):
        raise SpecError(f"{where}: missing required field {key!r}")
    return mapping[key]


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise SpecError(f"{where}: {value!r} is not a valid name (letters, digits, _ and -)")
    return value


def load_spec(path: str | os.PathLike[str]) -> Spec:
    """Read and validate a spec file; raise SpecError naming the file and field."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpecError(f"{p}: spec file not found") from None
    except yaml.YAMLError as err:
        raise SpecError(f"{p}: not valid YAML: {err}".replace("\n", " ")) from None
    return parse_spec(raw, str(p))


def parse_spec(raw: Any, path: str = "<spec>") -> Spec:
    if not isinstance(raw, dict):
        raise SpecError(f"{path}: the spec must be a YAML mapping")
    known = {
        "title",
        "description",
        "media",
        "data_field",
        "objects",
        "ext_id_field",
        "score_field",
        "banner",
        "controls",
        "prediction",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise SpecError(f"{path}: unknown field(s) {', '.join(unknown)}")

    objects: list[ObjectSpec] = []
    if raw.get("objects"):
        if raw.get("media"):
            raise SpecError(f"{path}: give either 'media' or 'objects', not both")
        for i, item in enumerate(raw["objects"]):
            where = f"{path}: objects[{i}]"
            if not isinstance(item, dict):
                raise SpecError(f"{where}: must be a mapping")
            otype = _req(item, "type", where)
            if otype not in MEDIA_TAGS:
                raise SpecError(f"{where}: type {otype!r} is not one of {', '.join(MEDIA_TAGS)}")
            name = _name(_req(item, "name", where), f"{where}.name")
            objects.append(
                ObjectSpec(
                    name, otype, _name(item.get("field", name), f"{where}.field"), item.get("title")
                )
            )
    else:
        media = raw.get("media", "text")
        if media not in ("text", "image", "audio", "hypertext"):
            raise SpecError(f"{path}: media {media!r} is not one of text, image, audio, hypertext")
        objects.append(
            ObjectSpec(media, media, _name(raw.get("data_field", media), f"{path}: data_field"))
        )
    names = [o.name for o in objects]
    if len(set(names)) != len(names):
        raise SpecError(f"{path}: duplicate object names")

    controls: list[ControlSpec] = []
    raw_controls = raw.get("controls")
    if not isinstance(raw_controls, list) or not raw_controls:
        raise SpecError(f"{path}: 'controls' must be a non-empty list")
    for i, item in enumerate(raw_controls):
        where = f"{path}: controls[{i}]"
        if not isinstance(item, dict):
            raise SpecError(f"{where}: must be a mapping")
        ctype = _req(item, "type", where)
        if ctype not in CONTROL_TAGS:
            raise SpecError(f"{where}: type {ctype!r} is not one of {', '.join(CONTROL_TAGS)}")
        name = _name(_req(item, "name", where), f"{where}.name")
        if name in names or name in [c.name for c in controls]:
            raise SpecError(f"{where}: name {name!r} is used twice")
        to = item.get("to")
        if to is None:
            allowed = CONTROL_TARGETS.get(ctype)
            candidates = [o.name for o in objects if allowed is None or o.type in allowed]
            if ctype == "pairwise":
                if len(candidates) < 2:
                    raise SpecError(f"{where}: pairwise needs two objects (give 'to: [a, b]')")
                to = candidates[-2:]
            else:
                if not candidates:
                    raise SpecError(f"{where}: no object this {ctype} control can label")
                to = candidates[0]
        to_list = [to] if isinstance(to, str) else list(to)
        for target in to_list:
            if target not in names:
                raise SpecError(f"{where}: 'to' names unknown object {target!r}")
            allowed = CONTROL_TARGETS.get(ctype)
            otype = next(o.type for o in objects if o.name == target)
            if allowed and otype not in allowed:
                raise SpecError(f"{where}: a {ctype} control cannot label a {otype} object")
        if ctype == "pairwise" and len(to_list) != 2:
            raise SpecError(f"{where}: pairwise needs exactly two objects in 'to'")
        values = item.get("values") or []
        if ctype in ("choices", "labels", "rectanglelabels", "taxonomy") and not values:
            raise SpecError(f"{where}: a {ctype} control needs 'values'")
        if ctype == "taxonomy":
            _check_tree(values, f"{where}.values")
        elif values and not all(isinstance(v, (str, int, float)) for v in values):
            raise SpecError(f"{where}: 'values' must be a list of strings")
        max_value = item.get("max")
        if ctype == "rating":
            max_value = 5 if max_value is None else max_value
            if not isinstance(max_value, int) or max_value < 1:
                raise SpecError(f"{where}: rating 'max' must be a positive integer")
        controls.append(
            ControlSpec(
                name=name,
                type=ctype,
                to=tuple(to_list),
                values=tuple(str(v) if not isinstance(v, dict) else v for v in values),
                multiple=bool(item.get("multiple", False)),
                max=max_value,
                min=item.get("min"),
                required=bool(item.get("required", False)),
            )
        )

    score_field = raw.get("score_field", "score")
    banner = raw.get("banner")
    if banner is None and score_field:
        banner = f"Model score: ${score_field}"
    if banner:
        for ref in FIELD_RE.findall(banner):
            if ref in names:
                raise SpecError(f"{path}: banner field ${ref} clashes with an object name")

    spec = Spec(
        path=path,
        title=str(raw.get("title") or Path(path).stem),
        description=str(raw.get("description") or ""),
        objects=objects,
        controls=controls,
        ext_id_field=_name(raw.get("ext_id_field", "ext_id"), f"{path}: ext_id_field"),
        score_field=score_field,
        banner=banner,
    )
    pred = raw.get("prediction")
    if pred:
        where = f"{path}: prediction"
        if not isinstance(pred, dict):
            raise SpecError(f"{where}: must be a mapping")
        spec.model_version = str(_req(pred, "model_version", where))
        for i, rule in enumerate(pred.get("results") or []):
            rwhere = f"{where}.results[{i}]"
            control = spec.control(_req(rule, "control", rwhere))
            has_field = rule.get("field") is not None
            has_threshold = rule.get("threshold") is not None
            if has_field == has_threshold:
                raise SpecError(f"{rwhere}: give exactly one of 'field' or 'threshold'")
            if has_threshold:
                if control.type not in ("choices", "pairwise", "taxonomy"):
                    raise SpecError(
                        f"{rwhere}: 'threshold' only builds choices, pairwise or "
                        f"taxonomy results; use 'field' for {control.type}"
                    )
                if rule.get("above") is None or rule.get("below") is None:
                    raise SpecError(f"{rwhere}: 'threshold' needs 'above' and 'below'")
                if not spec.score_field:
                    raise SpecError(f"{rwhere}: 'threshold' needs a 'score_field'")
            spec.rules.append(
                PredictionRule(
                    control=control.name,
                    field=rule.get("field"),
                    threshold=float(rule["threshold"]) if has_threshold else None,
                    above=rule.get("above"),
                    below=rule.get("below"),
                )
            )
        if not spec.rules:
            raise SpecError(f"{where}: 'results' must list at least one control")
    return spec


def _check_tree(values: Any, where: str) -> None:
    for value in values:
        if isinstance(value, dict):
            if len(value) != 1:
                raise SpecError(f"{where}: a branch is a one-key mapping {{name: [children]}}")
            ((_, children),) = value.items()
            if not isinstance(children, list) or not children:
                raise SpecError(f"{where}: branch children must be a non-empty list")
            _check_tree(children, where)
        elif not isinstance(value, (str, int, float)):
            raise SpecError(f"{where}: {value!r} is neither a name nor a branch")


def _attrs(**attrs: Any) -> str:
    return "".join(f" {k}={quoteattr(str(v))}" for k, v in attrs.items() if v is not None)


def _tree_xml(values: Any, indent: str) -> list[str]:
    lines = []
    for value in values:
        if isinstance(value, dict):
            ((name, children),) = value.items()
            lines.append(f"{indent}<Choice{_attrs(value=name)}>")
            lines += _tree_xml(children, indent + "  ")
            lines.append(f"{indent}</Choice>")
        else:
            lines.append(f"{indent}<Choice{_attrs(value=value)}/>")
    return lines


def build_config(spec: Spec) -> str:
    """The labeling config XML for `spec` (deterministic: same spec, same bytes)."""
    lines = ["<View>"]
    if spec.banner:
        lines.append(f"  <Header{_attrs(name='score_banner', value=spec.banner)}/>")
    for obj in spec.objects:
        tag = MEDIA_TAGS[obj.type]
        lines.append(f"  <{tag}{_attrs(name=obj.name, value='$' + obj.field, title=obj.title)}/>")
    for c in spec.controls:
        tag = CONTROL_TAGS[c.type]
        to = ",".join(c.to)
        common = {"name": c.name, "toName": to}
        if c.required:
            common["required"] = "true"
        if c.type == "choices":
            lines.append(
                f"  <{tag}{_attrs(**common, choice='multiple' if c.multiple else 'single')}>"
            )
            lines += [f"    <Choice{_attrs(value=v)}/>" for v in c.values]
            lines.append(f"  </{tag}>")
        elif c.type in ("labels", "rectanglelabels"):
            lines.append(f"  <{tag}{_attrs(**common)}>")
            lines += [f"    <Label{_attrs(value=v)}/>" for v in c.values]
            lines.append(f"  </{tag}>")
        elif c.type == "taxonomy":
            lines.append(f"  <{tag}{_attrs(**common)}>")
            lines += _tree_xml(c.values, "    ")
            lines.append(f"  </{tag}>")
        elif c.type == "rating":
            lines.append(f"  <{tag}{_attrs(**common, maxRating=int(c.max))}/>")
        elif c.type == "number":
            lines.append(f"  <{tag}{_attrs(**common, min=c.min, max=c.max)}/>")
        else:  # textarea, pairwise, ranker
            lines.append(f"  <{tag}{_attrs(**common)}/>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def _taxonomy_paths(values: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = []
    for value in values:
        if isinstance(value, dict):
            ((name, children),) = value.items()
            paths.append(prefix + (str(name),))
            paths += _taxonomy_paths(children, prefix + (str(name),))
        else:
            paths.append(prefix + (str(value),))
    return paths


def region_id(*parts: Any) -> str:
    """A stable 10-character region id (like the frontend's), so re-pushes produce equal results."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return digest[:10]


def score_of(data: dict, spec: Spec) -> float | None:
    if not spec.score_field or data.get(spec.score_field) is None:
        return None
    value = data[spec.score_field]
    try:
        score = float(value)
    except (TypeError, ValueError):
        raise SpecError(f"score field {spec.score_field!r} is not a number: {value!r}") from None
    if math.isnan(score):
        return None
    return score


def build_prediction(spec: Spec, data: dict, ext_id: str) -> dict | None:
    """The prediction `{result, score, model_version}` for one task, or None without a rule.

    Raise SpecError naming the ext_id and field when the task data cannot fill a rule.
    """
    if not spec.model_version:
        return None
    score = score_of(data, spec)
    result: list[dict] = []
    for rule in spec.rules:
        control = spec.control(rule.control)
        where = f"task {ext_id}: prediction for control {control.name!r}"
        if rule.threshold is not None:
            if score is None:
                raise SpecError(f"{where}: no score in field {spec.score_field!r}")
            value = rule.above if score >= rule.threshold else rule.below
        else:
            if rule.field not in data or data[rule.field] is None:
                continue  # no model output for this control on this task
            value = data[rule.field]
        result += _result_items(spec, control, value, where, ext_id)
    return {"result": result, "score": score, "model_version": spec.model_version}


def _result_items(spec: Spec, c: ControlSpec, value: Any, where: str, ext_id: str) -> list[dict]:
    base = {"from_name": c.name, "to_name": c.to[0], "type": c.type}
    rid = region_id(ext_id, spec.model_version, c.name)
    if c.type == "choices":
        picks = value if isinstance(value, list) else [value]
        picks = [str(v) for v in picks]
        bad = [v for v in picks if v not in c.values]
        if bad:
            raise SpecError(f"{where}: {bad[0]!r} is not one of {', '.join(c.values)}")
        if len(picks) > 1 and not c.multiple:
            raise SpecError(f"{where}: several choices for a single-choice control")
        return [{**base, "id": rid, "value": {"choices": picks}}]
    if c.type == "pairwise":
        if value not in ("left", "right"):
            raise SpecError(f"{where}: pairwise value must be 'left' or 'right', not {value!r}")
        return [{**base, "to_name": c.name, "id": rid, "value": {"selected": value}}]
    if c.type == "ranker":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SpecError(f"{where}: ranker value must be a list of item ids, best first")
        return [{**base, "id": rid, "value": {"ranker": {c.name: value}}}]
    if c.type == "rating":
        return [{**base, "id": rid, "value": {"rating": int(value)}}]
    if c.type == "number":
        return [{**base, "id": rid, "value": {"number": float(value)}}]
    if c.type == "textarea":
        return [{**base, "id": rid, "value": {"text": [str(value)]}}]
    if c.type == "taxonomy":
        paths = (
            value
            if isinstance(value, list) and value and isinstance(value[0], list)
            else [value if isinstance(value, list) else [value]]
        )
        known = set(_taxonomy_paths(c.values))
        for p in paths:
            if tuple(map(str, p)) not in known:
                raise SpecError(f"{where}: {p!r} is not a path in the taxonomy")
        return [{**base, "id": rid, "value": {"taxonomy": [list(map(str, p)) for p in paths]}}]
    if c.type in ("labels", "rectanglelabels"):
        if not isinstance(value, list):
            raise SpecError(f"{where}: {c.type} value must be a list of regions")
        items = []
        for i, region in enumerate(value):
            if not isinstance(region, dict) or "label" not in region:
                raise SpecError(f"{where}: region {i} needs a 'label'")
            label = str(region["label"])
            if label not in c.values:
                raise SpecError(
                    f"{where}: region {i} label {label!r} is not one of {', '.join(c.values)}"
                )
            if c.type == "labels":
                keys = ("start", "end")
                geometry = {"start": int(region["start"]), "end": int(region["end"])}
                if "text" in region:
                    geometry["text"] = str(region["text"])
            else:
                keys = ("x", "y", "width", "height")
                geometry = {k: float(region[k]) for k in keys if k in region}
                geometry["rotation"] = float(region.get("rotation", 0))
            missing = [k for k in keys if k not in region]
            if missing:
                raise SpecError(f"{where}: region {i} misses {', '.join(missing)}")
            item = {
                **base,
                "id": region_id(ext_id, spec.model_version, c.name, i),
                "value": {**geometry, c.type: [label]},
            }
            if region.get("score") is not None:
                item["score"] = float(region["score"])
            for extra in ("original_width", "original_height"):
                if extra in region:
                    item[extra] = int(region[extra])
            items.append(item)
        return items
    raise SpecError(f"{where}: unsupported control type {c.type}")  # pragma: no cover


__all__ = ["Spec", "build_config", "build_prediction", "load_spec", "parse_spec"]
