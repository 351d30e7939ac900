"""``vp-contracts``: export the event JSON Schemas and the AsyncAPI document, or check them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from vp_contracts.schema.asyncapi import asyncapi_document
from vp_contracts.schema.export import all_schemas, dumps

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "schemas"


def expected_files() -> dict[str, str]:
    """Relative path -> text of every generated file."""
    files = {f"current/{name}": dumps(schema) for name, schema in all_schemas().items()}
    files["asyncapi.json"] = dumps(asyncapi_document())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vp-contracts", description=__doc__)
    parser.add_argument(
        "command", choices=["export", "check"], help="write the files, or check them"
    )
    parser.add_argument(
        "--dir", type=Path, default=DEFAULT_DIR, help="schemas folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    stale = []
    for relative, text in expected_files().items():
        path = args.dir / relative
        if args.command == "export":
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        elif not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(relative)
    if stale:
        print("out of date (run `make schemas`):", *stale, sep="\n  ", file=sys.stderr)
        return 1
    verb = "wrote" if args.command == "export" else "checked"
    print(f"{verb} {len(expected_files())} files in {args.dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
