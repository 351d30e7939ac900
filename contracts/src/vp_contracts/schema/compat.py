"""Is a new schema a compatible (additive) change of an old one?

Compatible: new optional properties, looser limits, more enum values, new descriptions.
Breaking: a property removed or renamed, a type changed, a new required property, a narrower
enum or limit. Consumers validate stored v1 events against the newest v1 model, so every
released v1 body must stay valid.
"""

from __future__ import annotations

from typing import Any

_Schema = dict[str, Any]


def _resolve(schema: _Schema, root: _Schema) -> _Schema:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = root.get("$defs", {}).get(name, {})
    return schema


def _types(schema: _Schema, root: _Schema) -> set[str]:
    schema = _resolve(schema, root)
    if "anyOf" in schema:
        found: set[str] = set()
        for option in schema["anyOf"]:
            found |= _types(option, root)
        return found
    if "enum" in schema or "const" in schema:
        values = schema.get("enum", [schema.get("const")])
        return {f"value:{value!r}" for value in values}
    kind = schema.get("type")
    if isinstance(kind, list):
        return set(kind)
    return {kind} if kind else {"any"}


_LOWER_LIMITS = ("minLength", "minimum", "exclusiveMinimum", "minItems")
_UPPER_LIMITS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems")


def breaking_changes(
    old: _Schema,
    new: _Schema,
    path: str = "",
    *,
    old_root: _Schema | None = None,
    new_root: _Schema | None = None,
) -> list[str]:
    """Reasons why data valid under ``old`` might be invalid under ``new`` (empty if none)."""
    old_root = old_root if old_root is not None else old
    new_root = new_root if new_root is not None else new
    old_s, new_s = _resolve(old, old_root), _resolve(new, new_root)
    where = path or "body"
    problems: list[str] = []

    old_types, new_types = _types(old_s, old_root), _types(new_s, new_root)
    if "any" not in new_types:
        lost = {t for t in old_types if t not in new_types and not _widened(t, new_types)}
        if lost:
            problems.append(f"{where}: no longer accepts {', '.join(sorted(lost))}")

    for key in _LOWER_LIMITS:
        if key in new_s and (key not in old_s or new_s[key] > old_s[key]):
            problems.append(f"{where}: {key} tightened to {new_s[key]}")
    for key in _UPPER_LIMITS:
        if key in new_s and (key not in old_s or new_s[key] < old_s[key]):
            problems.append(f"{where}: {key} tightened to {new_s[key]}")
    if new_s.get("pattern") not in (None, old_s.get("pattern")):
        problems.append(f"{where}: pattern changed")

    old_props, new_props = old_s.get("properties", {}), new_s.get("properties", {})
    for name in old_props:
        if name not in new_props:
            problems.append(f"{where}.{name}: removed")
        else:
            problems += breaking_changes(
                old_props[name],
                new_props[name],
                f"{where}.{name}",
                old_root=old_root,
                new_root=new_root,
            )
    newly_required = set(new_s.get("required", [])) - set(old_s.get("required", []))
    for name in sorted(newly_required):
        problems.append(f"{where}.{name}: became required")

    if "items" in old_s and "items" in new_s:
        problems += breaking_changes(
            old_s["items"], new_s["items"], f"{where}[]", old_root=old_root, new_root=new_root
        )
    for option_key in ("anyOf",):
        if option_key in old_s and option_key in new_s:
            for index, option in enumerate(old_s[option_key]):
                matches = [
                    breaking_changes(
                        option, candidate, f"{where}|{index}", old_root=old_root, new_root=new_root
                    )
                    for candidate in new_s[option_key]
                ]
                if all(matches):
                    problems.append(f"{where}: option {index} no longer accepted")
    return problems


def _widened(old_type: str, new_types: set[str]) -> bool:
    if old_type == "integer" and "number" in new_types:
        return True
    if old_type.startswith("value:"):
        return bool(new_types & {"string", "integer", "number", "boolean"})
    return False
