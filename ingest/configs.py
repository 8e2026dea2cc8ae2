"""`concord ingest config`: a Label Studio labeling config XML -> raw_label_studio.labeling_configs
and raw_label_studio.config_tags.

Parsed with defusedxml: a DTD (hence any entity, internal or external: billion laughs, XXE) is
rejected before anything is expanded. Every control tag becomes one row with its parsed options
(choices, labels, maxRating, min/max, Taxonomy paths, Ranker buckets); object tags (Text, Image,
List, ...) and Header banners are kept too, so staging can find the score field (`$score`).
"""

from __future__ import annotations

import json
import math
import os
import re
import xml.etree.ElementTree as StdET
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from defusedxml import DTDForbidden, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml import ElementTree as SafeET

from ingest.errors import ConfigError, IngestError
from ingest.loading import (
    LoadResult,
    check_readable,
    connect,
    file_sha256,
    fresh_load_id,
    make_load_id,
    record_load,
    transaction,
    utc_now,
)

COMMAND = "config"
MAX_CONFIG_BYTES = 5 * 1024 * 1024

# control tags of Label Studio (lower-case); any other tag with name + toName is a control too
CONTROL_TAGS = frozenset(
    {
        "choices", "labels", "rectanglelabels", "rectangle", "polygonlabels", "polygon",
        "keypointlabels", "keypoint", "brushlabels", "brush", "ellipselabels", "ellipse",
        "hypertextlabels", "paragraphlabels", "timeserieslabels", "videorectangle",
        "textarea", "rating", "number", "datetime", "pairwise", "ranker", "taxonomy",
        "magicwand", "bitmasklabels", "bitmask", "timelinelabels", "relations",
    }
)  # fmt: skip
# controls whose results staging gives typed columns; others are accepted and reported
TYPED_CONTROL_TAGS = frozenset(
    {
        "choices", "rating", "textarea", "labels", "rectanglelabels", "pairwise", "ranker",
        "number", "taxonomy",
    }
)  # fmt: skip
OBJECT_TAGS = frozenset(
    {
        "text", "hypertext", "image", "audio", "audioplus", "video", "paragraphs", "table",
        "timeseries", "list", "pdf", "markdown", "chat",
    }
)  # fmt: skip
# controls that need no toName
NO_TO_NAME = frozenset({"relations"})
# child tags that carry a control's options, never rows of their own
OPTION_TAGS = frozenset({"choice", "label", "bucket", "relation", "channel"})

_FIELD = re.compile(r"\$([A-Za-z_][A-Za-z0-9_.\-]*)")


@dataclass
class ConfigTag:
    """One row of raw_label_studio.config_tags (without project_id / load_id)."""

    tag_name: str
    tag_type: str
    tag_role: str  # control | object | visual | relations
    tag_position: int
    attributes: dict[str, str]
    to_name: str | None = None
    value_field: str | None = None
    value_template: str | None = None
    choices: list | None = None
    labels: list | None = None
    is_multiple: bool | None = None
    max_rating: int | None = None
    min_value: float | None = None
    max_value: float | None = None
    choice_paths: list | None = None
    buckets: list | None = None
    notes: list[str] = field(default_factory=list)


def _describe(element, attrs: dict[str, str]) -> str:
    name = attrs.get("name")
    return f"<{element.tag} name={name!r}>" if name else f"<{element.tag}>"


def _option_value(child) -> str | None:
    """What a result stores for a Choice / Label: its alias when set, else its value."""
    return child.attrib.get("alias") or child.attrib.get("value")


def _number(attrs: dict[str, str], key: str, where: str, shown: str, *, integer: bool = False):
    """attrs: lower-cased attribute names -> (name as written, value)."""
    written, raw = attrs.get(key, (key, None))
    key = written
    if raw is None or raw.strip() == "":
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{where}: {key}={raw!r} is not a number", file=shown) from None
    if not math.isfinite(value):
        raise ConfigError(f"{where}: {key}={raw!r} is not a finite number", file=shown)
    if integer:
        if value != int(value) or value < 1:
            raise ConfigError(f"{where}: {key}={raw!r} must be a positive integer", file=shown)
        return int(value)
    return value


def _taxonomy_paths(element, shown: str, where: str) -> list[list[str]]:
    """Every Choice of a Taxonomy as the path of values from the root to it (document order)."""
    paths: list[list[str]] = []

    def walk(node, prefix: list[str]) -> None:
        for child in node:
            if not isinstance(child.tag, str) or child.tag.lower() != "choice":
                continue
            value = _option_value(child)
            if value is None:
                raise ConfigError(f"{where}: a <Choice> has no value", file=shown)
            path = [*prefix, value]
            paths.append(path)
            walk(child, path)

    walk(element, [])
    return paths


def parse_config(xml: bytes | str, shown: str) -> list[ConfigTag]:
    """Parse a labeling config safely into its tags; raise ConfigError naming the problem."""
    if isinstance(xml, str):
        xml = xml.encode("utf-8")
    head = xml.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise ConfigError(
            "file is empty, expected a labeling config (<View>...</View>)", file=shown
        )
    if head[:1] in (b"[", b"{"):
        raise ConfigError(
            "this is JSON, not a labeling config XML "
            "(a Label Studio export? use `concord ingest export`)",
            file=shown,
        )
    try:
        root = SafeET.fromstring(xml, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DTDForbidden:
        raise ConfigError(
            "DTD (<!DOCTYPE ...>) refused: labeling configs may not declare DTDs or entities",
            file=shown,
        ) from None
    except EntitiesForbidden:
        raise ConfigError(
            "entity declaration refused (entity expansion is not allowed)", file=shown
        ) from None
    except ExternalReferenceForbidden:
        raise ConfigError("external reference refused", file=shown) from None
    except StdET.ParseError as err:
        line, column = err.position
        reason = str(err).split(":")[0]
        raise ConfigError(
            f"not well-formed XML at line {line}, column {column + 1} ({reason})", file=shown
        ) from None
    if root.tag != "View":
        raise ConfigError(
            f"root element is <{root.tag}>; a Label Studio labeling config starts with <View>",
            file=shown,
        )
    tags: list[ConfigTag] = []
    names: dict[str, str] = {}
    n_headers = 0
    n_relations = 0
    position = 0
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        tag_type = element.tag.lower()
        attrs = dict(element.attrib)
        lowered = {k.lower(): v for k, v in attrs.items()}
        written = {k.lower(): (k, v) for k, v in attrs.items()}
        where = _describe(element, attrs)
        if tag_type in OPTION_TAGS or tag_type == "view":
            continue
        name = attrs.get("name")
        to_name = lowered.get("toname")
        value = attrs.get("value")
        if tag_type == "header":
            n_headers += 1
            position += 1
            if name:  # a named Header shares the tag namespace: same primary key as a control
                if name in names:
                    raise ConfigError(
                        f"two tags are named {name!r} ({names[name]} and <{element.tag}>)",
                        file=shown,
                    )
                names[name] = f"<{element.tag}>"
            fields = _FIELD.findall(value or "")
            tags.append(
                ConfigTag(
                    tag_name=name or f"header_{n_headers}",
                    tag_type="header",
                    tag_role="visual",
                    tag_position=position,
                    attributes=attrs,
                    value_field=fields[0] if fields else None,
                    value_template=value,
                )
            )
            continue
        is_control = tag_type in CONTROL_TAGS or (
            to_name is not None and tag_type not in OBJECT_TAGS
        )
        is_object = not is_control and (
            tag_type in OBJECT_TAGS or (value is not None and "$" in value and name is not None)
        )
        if not is_control and not is_object:
            continue  # layout / style tags (Style, Filter, Collapse, ...)
        if tag_type == "relations" and not name:
            n_relations += 1
            name = f"relations_{n_relations}"
        if not name:
            kind = "control" if is_control else "object"
            raise ConfigError(f"{kind} tag {where} has no 'name'", file=shown)
        if is_control and to_name is None and tag_type not in NO_TO_NAME:
            raise ConfigError(f"control {where} has no 'toName'", file=shown)
        if name in names:
            raise ConfigError(
                f"two tags are named {name!r} ({names[name]} and <{element.tag}>)", file=shown
            )
        names[name] = f"<{element.tag}>"
        position += 1
        # <Relations> declares the labels of relation items (links between regions): kept, but
        # never a control (no agreement, no typed columns; issue #11)
        role = "relations" if tag_type == "relations" else "control" if is_control else "object"
        tag = ConfigTag(
            tag_name=name,
            tag_type=tag_type,
            tag_role=role,
            tag_position=position,
            attributes=attrs,
            to_name=to_name if is_control else None,
        )
        if is_object:
            fields = _FIELD.findall(value or "")
            tag.value_field = fields[0] if fields else None
            tag.value_template = value
        else:
            _parse_control(tag, element, lowered, written, where, shown)
        tags.append(tag)
    known = set(names)
    for tag in tags:
        if tag.tag_role != "control" or not tag.to_name:
            continue
        for target in (part.strip() for part in tag.to_name.split(",")):
            if target and target not in known:
                raise ConfigError(
                    f"control {tag.tag_name!r} ({tag.tag_type}): "
                    f"toName {target!r} names no tag of the config",
                    file=shown,
                )
    if not any(t.tag_role == "control" for t in tags):
        raise ConfigError(
            "the config has no control tag (Choices, Labels, Rating, ...)", file=shown
        )
    return tags


def _parse_control(
    tag: ConfigTag, element, lowered: dict[str, str], written: dict, where: str, shown: str
) -> None:
    kind = tag.tag_type
    children = [c for c in element if isinstance(c.tag, str)]
    if kind == "choices":
        tag.choices = []
        for child in element.iter():
            if (
                child is not element
                and isinstance(child.tag, str)
                and child.tag.lower() == "choice"
            ):
                value = _option_value(child)
                if value is None:
                    raise ConfigError(f"{where}: a <Choice> has no value", file=shown)
                tag.choices.append(value)
        tag.is_multiple = lowered.get("choice", "single") == "multiple"
    elif kind == "taxonomy":
        tag.choice_paths = _taxonomy_paths(element, shown, where)
        tag.choices = [path[-1] for path in tag.choice_paths]
        max_usages = lowered.get("maxusages")
        tag.is_multiple = not (max_usages is not None and max_usages.strip() == "1")
    elif kind.endswith("labels"):
        tag.labels = []
        for child in element.iter():
            if child is not element and isinstance(child.tag, str) and child.tag.lower() == "label":
                value = _option_value(child)
                if value is None:
                    raise ConfigError(f"{where}: a <Label> has no value", file=shown)
                tag.labels.append(value)
        tag.is_multiple = lowered.get("choice", "single") == "multiple"
    elif kind == "rating":
        tag.max_rating = _number(written, "maxrating", where, shown, integer=True) or 5
    elif kind == "number":
        tag.min_value = _number(written, "min", where, shown)
        tag.max_value = _number(written, "max", where, shown)
        if (
            tag.min_value is not None
            and tag.max_value is not None
            and tag.min_value > tag.max_value
        ):
            raise ConfigError(f"{where}: min {tag.min_value:g} > max {tag.max_value:g}", file=shown)
    elif kind == "ranker":
        buckets = [c for c in children if c.tag.lower() == "bucket"]
        if buckets:
            tag.buckets = []
            for bucket in buckets:
                bucket_name = bucket.attrib.get("name")
                if not bucket_name:
                    raise ConfigError(f"{where}: a <Bucket> has no name", file=shown)
                tag.buckets.append(bucket_name)
    if kind not in TYPED_CONTROL_TAGS:
        tag.notes.append(kind)


def ingest_config(con_or_db, path: str | os.PathLike[str], project_id: int) -> LoadResult:
    """Load one labeling config for `project_id` (replacing the project's previous config)."""
    path = Path(path)
    shown = str(path)
    if project_id is None:
        raise IngestError("--project-id is required for a labeling config", file=shown)
    check_readable(path, shown)
    sha, size = file_sha256(path)
    if size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{size} bytes is too large for a labeling config (limit {MAX_CONFIG_BYTES})",
            file=shown,
        )
    xml_bytes = path.read_bytes()
    tags = parse_config(xml_bytes, shown)
    try:
        xml_text = xml_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ConfigError(f"invalid UTF-8 at byte {err.start}", file=shown) from None
    result = LoadResult(
        file_name=path.name,
        file_path=str(path.resolve()),
        command=COMMAND,
        load_id=make_load_id(sha, f"{COMMAND}:{project_id}"),
        file_sha256=sha,
        file_format="xml",
        project_id=project_id,
        n_records=len(tags),
    )
    with connect(con_or_db) as con, transaction(con):
        current = con.execute(
            "select config_sha256, load_id from raw_label_studio.labeling_configs "
            "where project_id = ?",
            [project_id],
        ).fetchone()
        if current is not None and current[0] == sha:
            result.skipped = True
            result.skipped_reason = (
                f"already the config of project {project_id} ({current[1]}): nothing to do"
            )
            return result
        result.load_id = fresh_load_id(con, result.load_id)
        now = utc_now()
        con.execute(
            "delete from raw_label_studio.labeling_configs where project_id = ?", [project_id]
        )
        con.execute("delete from raw_label_studio.config_tags where project_id = ?", [project_id])
        con.execute(
            """
            insert into raw_label_studio.labeling_configs
                (project_id, load_id, config_xml, config_sha256, loaded_at)
            values (?, ?, ?, ?, ?)
            """,
            [project_id, result.load_id, xml_text, sha, now],
        )
        con.executemany(
            """
            insert into raw_label_studio.config_tags (
                project_id, tag_name, tag_type, tag_role, to_name, value_field, value_template,
                choices, labels, is_multiple, max_rating, min_value, max_value, attributes,
                tag_position, load_id, choice_paths, buckets
            ) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [_row(project_id, result.load_id, tag) for tag in tags],
        )
        record_load(con, result, file_bytes=size, is_full_snapshot=False, loaded_at=now)
    _summarise(result, tags)
    return result


def _json_or_null(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


def _row(project_id: int, load_id: str, tag: ConfigTag) -> list:
    return [
        project_id,
        tag.tag_name,
        tag.tag_type,
        tag.tag_role,
        tag.to_name,
        tag.value_field,
        tag.value_template,
        _json_or_null(tag.choices),
        _json_or_null(tag.labels),
        tag.is_multiple,
        tag.max_rating,
        tag.min_value,
        tag.max_value,
        json.dumps(tag.attributes, ensure_ascii=False),
        tag.tag_position,
        load_id,
        _json_or_null(tag.choice_paths),
        _json_or_null(tag.buckets),
    ]


def _summarise(result: LoadResult, tags: list[ConfigTag]) -> None:
    controls = [t for t in tags if t.tag_role == "control"]
    objects = [t for t in tags if t.tag_role == "object"]
    headers = [t for t in tags if t.tag_role == "visual"]
    result.counts = {"controls": len(controls), "objects": len(objects), "headers": len(headers)}
    result.notes.append("controls: " + ", ".join(f"{t.tag_name} ({t.tag_type})" for t in controls))
    fields = [t.value_field for t in headers if t.value_field]
    if fields:
        result.notes.append("header fields: " + ", ".join(f"${f}" for f in fields))
    untyped = sorted({t.tag_type for t in controls if t.notes})
    if untyped:
        result.notes.append(
            "control types without typed staging columns (results kept as raw value_json): "
            + ", ".join(untyped)
        )


def config_tags_for_project(
    con: duckdb.DuckDBPyConnection, project_id: int
) -> list[ConfigTag] | None:
    """The project's ingested config tags, or None when no config was ingested."""
    rows = con.execute(
        """
        select tag_name, tag_type, tag_role, tag_position, attributes, to_name, choices, labels,
            is_multiple
        from raw_label_studio.config_tags
        where project_id = ?
        order by tag_position
        """,
        [project_id],
    ).fetchall()
    if not rows:
        return None
    return [
        ConfigTag(
            tag_name=r[0],
            tag_type=r[1],
            tag_role=r[2],
            tag_position=r[3],
            attributes=json.loads(r[4]),
            to_name=r[5],
            choices=json.loads(r[6]) if r[6] else None,
            labels=json.loads(r[7]) if r[7] else None,
            is_multiple=r[8],
        )
        for r in rows
    ]
