"""The AsyncAPI document as a page other teams can read: which subject carries which fact,
its CloudEvents headers and its payload, field by field. Rendered here, whole, with no script
and no asset from elsewhere (it works offline, like the API docs)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:72rem;padding:1rem 2rem;color:#1d2330}
h1{margin-bottom:0}code,pre{font:13px ui-monospace,monospace;background:#f3f4f7;border-radius:4px}
code{padding:0 .25rem}pre{padding:.75rem;overflow:auto}table{border-collapse:collapse;width:100%}
th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #e3e5ea}
section{border-top:2px solid #e3e5ea;margin-top:1.5rem}.muted{color:#5b6475}nav a{margin-right:.4rem}
"""

KIT = """from vp_events import follow

async with await nats.connect(url, user=..., password=..., inbox_prefix="_INBOX_<team>") as nc:
    async for fact in follow(nc, durable="<team>", subject="vp.story.*.completed"):
        print(fact.envelope.story_id, fact.event.media.video_key)
        await fact.ack()"""


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        name = str(schema["$ref"]).rsplit("/", 1)[-1]
        return f'<a href="#schema-{escape(name)}">{escape(name)}</a>'
    if "anyOf" in schema:
        return " | ".join(_type(option) for option in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(f"<code>{escape(json.dumps(value))}</code>" for value in schema["enum"])
    if "const" in schema:
        return f"<code>{escape(json.dumps(schema['const']))}</code>"
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    found = escape(str(kind))
    return f"{found} ({escape(schema['format'])})" if "format" in schema else found


def _fields(schema: dict[str, Any]) -> str:
    properties: dict[str, Any] = schema.get("properties", {})
    if not properties:
        return f"<p>{_type(schema)}</p>"
    required = set(schema.get("required", []))
    rows = "".join(
        f"<tr><td><code>{escape(name)}</code>{' *' if name in required else ''}</td>"
        f"<td>{_type(field)}</td><td>{escape(str(field.get('description', '')))}</td></tr>"
        for name, field in properties.items()
    )
    return f"<table><tr><th>field (* required)</th><th>type</th><th>meaning</th></tr>{rows}</table>"


def event_docs_page(document: dict[str, Any], json_url: str) -> str:
    """The whole page of ``document`` (an AsyncAPI 3 document); ``json_url`` is where the
    document itself is served."""
    info = document["info"]
    components = document["components"]
    messages: dict[str, Any] = components["messages"]
    schemas: dict[str, Any] = components["schemas"]
    channels: dict[str, Any] = document["channels"]
    index = "".join(
        f'<tr><td><a href="#{escape(key)}"><code>{escape(channel["address"])}</code></a></td>'
        f"<td><code>{escape(messages[key]['name'])}</code></td>"
        f"<td>{escape(messages[key].get('summary', ''))}</td></tr>"
        for key, channel in channels.items()
    )
    facts = "".join(
        f'<section id="{escape(key)}"><h3><code>{escape(messages[key]["name"])}</code> '
        f"({escape(messages[key]['title'])})</h3><p>{escape(messages[key].get('summary', ''))}</p>"
        f"<p>Subject <code>{escape(channel['address'])}</code>"
        + "".join(
            f"; <code>{{{escape(name)}}}</code>: {escape(parameter.get('description', ''))}"
            for name, parameter in channel.get("parameters", {}).items()
        )
        + f'. Headers: <a href="#schema-CloudEventHeaders">CloudEvents</a>.</p>'
        f"{_fields(schemas[key])}</section>"
        for key, channel in channels.items()
    )
    shared = "".join(
        f'<section id="schema-{escape(name)}"><h3>{escape(name)}</h3>'
        f"<p>{escape(str(schema.get('description', '')))}</p>{_fields(schema)}</section>"
        for name, schema in schemas.items()
        if name not in messages
    )
    servers = "".join(
        f"<li><code>{escape(server['protocol'])}://{escape(server['host'])}</code>: "
        f"{escape(server.get('description', ''))}</li>"
        for server in document.get("servers", {}).values()
    )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(info['title'])} {escape(info['version'])}</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<h1>{escape(info['title'])}</h1><p class=muted>AsyncAPI {escape(document['asyncapi'])}"
        f' · contracts {escape(info["version"])} · <a href="{escape(json_url)}">the document'
        f" (JSON)</a></p><p>{escape(info.get('description', ''))}</p>"
        f"<h2>Servers</h2><ul>{servers}</ul>"
        "<h2>Following facts from another service</h2><p>Use a durable consumer so that a"
        " restart resumes where it stopped; the consumer kit (<code>vp-events</code>) does it"
        " and parses each fact with the published models:</p>"
        f"<pre>{escape(KIT)}</pre>"
        f"<h2>Facts</h2><table><tr><th>subject</th><th>type (<code>ce-type</code>)</th>"
        f"<th>what happened</th></tr>{index}</table>{facts}"
        f"<h2>Shared types</h2>{shared}</body></html>"
    )
