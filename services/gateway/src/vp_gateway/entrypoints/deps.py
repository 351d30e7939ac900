"""What routes get injected: the gateway's services, the caller, the request context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from vp_contracts.ids import new_id
from vp_contracts.values import ProviderCosts
from vp_runtime.eventstore import StoryLog
from vp_runtime.providers.catalog import ProviderCatalog
from vp_runtime.providers.config import ProviderConfig, prices
from vp_runtime.storage import Storage
from vp_runtime.web.auth import InvalidToken, Principal, TicketPolicy, TokenPolicy

from vp_gateway.adapters.db.readmodel import ReadModel
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.idempotency import KEY_PATTERN
from vp_gateway.entrypoints.presenters import Link
from vp_gateway.service.assets import Assets
from vp_gateway.service.budgets import BudgetOffice
from vp_gateway.service.credentials import KEY_PREFIX, BadCredential, Credentials
from vp_gateway.service.idempotency import Idempotency
from vp_gateway.service.jobs import Jobs
from vp_gateway.service.projection import Projector
from vp_gateway.service.stories import RequestContext, Stories
from vp_gateway.service.suggestions import Suggester
from vp_gateway.service.users import Users
from vp_gateway.settings import GatewaySettings


@dataclass
class Gateway:
    """Everything the routes use, wired once in :mod:`vp_gateway.bootstrap`."""

    settings: GatewaySettings
    stories: Stories
    budgets: BudgetOffice
    jobs: Jobs
    users: Users
    credentials: Credentials
    assets: Assets
    idempotency: Idempotency
    tokens: TokenPolicy
    tickets: TicketPolicy
    readmodel: ReadModel
    projector: Projector
    suggester: Suggester
    store: StoryLog
    link: Link
    storage: Storage
    catalog: ProviderCatalog
    """The providers as admins set them now (watched: every replica sees a change)."""
    clock: Callable[[], datetime]
    readiness: Callable[[], Awaitable[dict[str, str]]]

    @property
    def providers(self) -> list[ProviderConfig]:
        return self.catalog.current()

    @property
    def costs(self) -> ProviderCosts:
        """The prices estimates count: the same the stages' ledger charges."""
        return prices(self.catalog.current())

    async def fresh_read_model(self) -> None:
        """Wait (briefly) until the read model shows every fact written before this request."""
        head = await self.store.head()
        await self.readmodel.wait_for(head, self.settings.read_wait_seconds)


async def gateway(request: Request) -> Gateway:
    result: Gateway = request.app.state.gateway
    return result


GatewayDep = Annotated[Gateway, Depends(gateway)]
_bearer = HTTPBearer(auto_error=False, description="JWT from POST /api/auth/token")


READING = frozenset({"GET", "HEAD", "OPTIONS"})


async def principal(
    request: Request,
    gw: GatewayDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller of an access token or of a machine API key (``vpk_...``), whose scopes it
    may not leave: a read-only key only reads."""
    if credentials is None:
        raise ApiError(
            401,
            "unauthorized",
            "send 'Authorization: Bearer <token>'; get a token from POST /api/auth/token, or"
            " make an API key (POST /api/auth/keys/)",
        )
    text, now = credentials.credentials, gw.clock()
    if text.startswith(KEY_PREFIX):
        try:
            caller = await gw.credentials.by_key(text, now)
        except BadCredential as error:
            raise ApiError(401, "unauthorized", f"{error}: make a new key") from None
        scope = "read" if request.method in READING else "write"
        if not caller.may(scope):
            raise ApiError(
                403,
                "forbidden",
                f"this API key may {' and '.join(sorted(caller.scopes))}, not {scope}",
                {"scopes": sorted(caller.scopes), "needed": scope},
            )
        return caller
    try:
        return gw.tokens.check(text, now)
    except InvalidToken as error:
        raise ApiError(
            401, "unauthorized", f"the token is not valid ({error}); log in again"
        ) from None


PrincipalDep = Annotated[Principal, Depends(principal)]


async def context(
    request: Request,
    gw: GatewayDep,
    caller: PrincipalDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            pattern=KEY_PATTERN,
            description="Send the same request again with the same key and it is applied once"
            " (the first answer is replayed); a different request with a used key is refused"
            " (422). Keys are yours alone and kept 24 hours.",
        ),
    ] = None,
) -> RequestContext:
    # The idempotency middleware has bound a keyed request to its command id already.
    command_id = getattr(request.state, "command_id", None) or new_id()
    return RequestContext(
        principal=caller,
        at=gw.clock(),
        request_id=request.state.request_id,
        command_id=command_id,
    )


ContextDep = Annotated[RequestContext, Depends(context)]
