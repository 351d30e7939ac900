"""Accounts, access and refresh tokens, and machine API keys."""

from __future__ import annotations

from fastapi import APIRouter, Response
from vp_contracts.ids import new_id
from vp_runtime.web.auth import Principal

from vp_gateway.entrypoints.deps import GatewayDep, PrincipalDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    Credentials,
    ErrorOut,
    KeyIdPath,
    RefreshIn,
    TokenOut,
    UserOut,
)
from vp_gateway.service.credentials import ApiKey, BadCredential
from vp_gateway.service.users import BadCredentials, EmailTaken

router = APIRouter(prefix="/api/auth", tags=["auth"])
UNAUTHORIZED: dict[int | str, dict[str, object]] = {401: {"model": ErrorOut}}


@router.post(
    "/register", status_code=201, response_model=UserOut, responses={409: {"model": ErrorOut}}
)
async def register_user(body: Credentials, gw: GatewayDep) -> UserOut:
    """Create an account."""
    try:
        row = await gw.users.register(body.email, body.password, gw.clock())
    except EmailTaken:
        raise ApiError(
            409, "email_taken", "an account with this email exists; log in instead"
        ) from None
    return UserOut(id=row.id, email=row.email, role=row.role, created_at=row.created_at)


async def _tokens(gw: GatewayDep, principal: Principal, refresh_token: str) -> TokenOut:
    access = gw.tokens.issue(principal, gw.clock(), new_id())
    return TokenOut(
        access_token=access,
        expires_in=int(gw.tokens.ttl.total_seconds()),
        refresh_token=refresh_token,
        refresh_expires_in=gw.settings.refresh_ttl_days * 86_400,
    )


@router.post("/token", response_model=TokenOut, responses=UNAUTHORIZED)
async def log_in(body: Credentials, gw: GatewayDep) -> TokenOut:
    """Log in: trade email and password for a short-lived access token and a refresh token
    that keeps the session going (``VP_REFRESH_TTL_DAYS``)."""
    try:
        principal: Principal = await gw.users.authenticate(body.email, body.password)
    except BadCredentials:
        raise ApiError(401, "bad_credentials", "wrong email or password") from None
    return await _tokens(gw, principal, await gw.credentials.start_session(principal, gw.clock()))


@router.post("/refresh", response_model=TokenOut, responses=UNAUTHORIZED)
async def refresh_session(body: RefreshIn, gw: GatewayDep) -> TokenOut:
    """Trade the refresh token for a new access token and the next refresh token. Each refresh
    token works once: using one twice ends the session (a copy of it leaked)."""
    try:
        principal, next_token = await gw.credentials.refresh(body.refresh_token, gw.clock())
    except BadCredential as error:
        raise ApiError(401, "unauthorized", f"{error}; log in again") from None
    return await _tokens(gw, principal, next_token)


@router.post("/logout", status_code=204, responses=UNAUTHORIZED)
async def log_out(body: RefreshIn, gw: GatewayDep) -> Response:
    """End the session: its refresh tokens stop working (access tokens expire on their own)."""
    try:
        await gw.credentials.end_session(body.refresh_token, gw.clock())
    except BadCredential as error:
        raise ApiError(401, "unauthorized", str(error)) from None
    return Response(status_code=204)


def _key_out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id,
        name=key.name,
        scopes=sorted(key.scopes),
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
    )


KEY_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorOut},
    403: {"model": ErrorOut},
    404: {"model": ErrorOut},
}


@router.post("/keys/", status_code=201, response_model=ApiKeyCreatedOut, responses=KEY_ERRORS)
async def create_api_key(body: ApiKeyIn, gw: GatewayDep, caller: PrincipalDep) -> ApiKeyCreatedOut:
    """Make a machine API key for integrations (scripts, other teams' services, agents): it
    works as a bearer token on the REST API within its scopes until it expires or is revoked.
    Only a logged-in session can make keys; the key is shown in this answer only."""
    key, text = await gw.credentials.create_key(
        caller, body.name, body.scopes, body.expires_in_days, gw.clock()
    )
    return ApiKeyCreatedOut(**_key_out(key).model_dump(), key=text)


@router.get("/keys/", response_model=list[ApiKeyOut], responses=KEY_ERRORS)
async def list_api_keys(gw: GatewayDep, caller: PrincipalDep) -> list[ApiKeyOut]:
    """Your API keys, newest first, with their last use (never the keys themselves)."""
    return [_key_out(key) for key in await gw.credentials.keys(caller)]


@router.delete("/keys/{key_id}/", status_code=204, responses=KEY_ERRORS)
async def revoke_api_key(key_id: KeyIdPath, gw: GatewayDep, caller: PrincipalDep) -> Response:
    """Revoke a key: refused from the next call on, on every replica."""
    await gw.credentials.revoke_key(caller, key_id, gw.clock())
    return Response(status_code=204)
