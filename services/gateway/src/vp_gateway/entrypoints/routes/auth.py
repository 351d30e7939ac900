"""Accounts and access tokens."""

from __future__ import annotations

from fastapi import APIRouter
from vp_contracts.ids import new_id
from vp_runtime.web.auth import Principal

from vp_gateway.entrypoints.deps import GatewayDep
from vp_gateway.entrypoints.errors import ApiError
from vp_gateway.entrypoints.schemas import Credentials, ErrorOut, TokenOut, UserOut
from vp_gateway.service.users import BadCredentials, EmailTaken

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/register", status_code=201, response_model=UserOut, responses={409: {"model": ErrorOut}}
)
async def register(body: Credentials, gw: GatewayDep) -> UserOut:
    """Create an account."""
    try:
        row = await gw.users.register(body.email, body.password, gw.clock())
    except EmailTaken:
        raise ApiError(
            409, "email_taken", "an account with this email exists; log in instead"
        ) from None
    return UserOut(id=row.id, email=row.email, role=row.role, created_at=row.created_at)


@router.post("/token", response_model=TokenOut, responses={401: {"model": ErrorOut}})
async def token(body: Credentials, gw: GatewayDep) -> TokenOut:
    """Log in: trade email and password for a short-lived access token."""
    try:
        principal: Principal = await gw.users.authenticate(body.email, body.password)
    except BadCredentials:
        raise ApiError(401, "bad_credentials", "wrong email or password") from None
    access = gw.tokens.issue(principal, gw.clock(), new_id())
    return TokenOut(access_token=access, expires_in=int(gw.tokens.ttl.total_seconds()))
