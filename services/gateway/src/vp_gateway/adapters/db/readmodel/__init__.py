"""The read model: the projector that writes it and the queries that read it.

Every fact is applied in one transaction together with its stream sequence, so a redelivered
fact is skipped and a rebuild is a replay. Stories are stored as the reference fold made them,
so a list shows exactly what the single-story answer shows.
"""

from vp_gateway.adapters.db.readmodel.cursor import PageOf, decode_cursor
from vp_gateway.adapters.db.readmodel.projector import (
    PROJECTION,
    Projection,
    describe,
    insert_ignoring_duplicates,
)
from vp_gateway.adapters.db.readmodel.queries import ReadModelOutdated, StoryQueries, scene_data


class ReadModel(Projection, StoryQueries):
    """Projector and queries over one database."""


__all__ = [
    "PROJECTION",
    "PageOf",
    "ReadModel",
    "ReadModelOutdated",
    "decode_cursor",
    "describe",
    "insert_ignoring_duplicates",
    "scene_data",
]
