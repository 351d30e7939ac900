from __future__ import annotations

import pytest
from nats.aio.client import Client
from vp_runtime.messaging.connection import HeaderFastClient, ServerTooOld, check_server_version

BLOCKS = [
    b"ce-id: 1\r\nce-type: vp.story.created.v1\r\n\r\n",
    b"Nats-Stream:S\r\nNats-Sequence:  12 \r\nNats-Time-Stamp: 2026-01-01T00:00:00Z\r\n\r\n",
    b"Bad Name: skipped\r\nok: value with spaces  \r\n\tpadded\t: yes\r\n",
    "title: caf\u00e9 \u2615\r\n".encode(),
    b"no-colon-line\r\nempty:\r\nrepeat: a\r\nrepeat: b\r\n",
    b"bad-utf8: \xff\xfe\r\nx:y:z\r\n",
    b":empty name\r\n\x1cname: v\r\na\x0bb: v\r\nn\xc3\xa9: v\r\n  : y\r\na\x1fb:z\r\n\x01ctl: q\r\n",
]


@pytest.mark.parametrize("block", BLOCKS)
def test_fast_header_parser_gives_what_nats_py_gives(block: bytes) -> None:
    assert HeaderFastClient._parse_header_lines(block) == Client._parse_header_lines(block)


@pytest.mark.parametrize("version", ["2.9.10", "v2.11.9", "2.10.0-beta.3"])
def test_servers_below_2_12_are_refused(version: str) -> None:
    with pytest.raises(ServerTooOld, match=r"2\.12\.0 or newer is required"):
        check_server_version(version)


@pytest.mark.parametrize(
    ("version", "parsed"),
    [("2.12.0", (2, 12, 0)), ("v2.15.1", (2, 15, 1)), ("3.0.0-rc1", (3, 0, 0))],
)
def test_newer_servers_are_accepted(version: str, parsed: tuple[int, int, int]) -> None:
    assert check_server_version(version) == parsed
