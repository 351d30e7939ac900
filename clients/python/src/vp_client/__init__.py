"""The VideoPlanet REST API from Python: ``VideoPlanet`` has one typed method per operation
(named after its operationId), ``models`` the request and answer bodies, both generated from
the gateway's OpenAPI document (``make clients``)."""

from vp_client import models
from vp_client.api import VideoPlanet
from vp_client.transport import ApiError

__all__ = ["ApiError", "VideoPlanet", "models"]
