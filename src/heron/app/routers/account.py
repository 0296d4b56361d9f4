"""Sign-in, sign-out, password change and ``GET /api/me`` (webapi.md, Auth)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import JSONResponse, Response

from heron.app.access import current_principal
from heron.app.errors import ApiError
from heron.app.principal import CSRF_COOKIE, SESSION_COOKIE, Principal
from heron.app.ratelimit import retry_after_header
from heron.app.runtime import Runtime
from heron.meta.accounts import authenticate_password
from heron.meta.models import Organization, Project, User
from heron.meta.passwords import hash_password, verify_password
from heron.meta.projects import list_projects
from heron.meta.sessions import create_session, csrf_token, end_other_sessions, end_session

router = APIRouter()
MIN_PASSWORD_LENGTH = 8


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1000)
    new_password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=1000)


def user_json(user_id: int | None, email: str | None) -> dict[str, Any] | None:
    if user_id is None or email is None:
        return None
    return {"id": user_id, "email": email, "name": email.split("@")[0]}


@router.post("/api/auth/login")
def login(body: Credentials, request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    client = request.client.host if request.client else "unknown"
    email = body.email.strip().lower()
    wait = max(
        runtime.login_rate.take(("email", email)),
        runtime.login_rate.take(("client", client), cost=0.2),
    )
    if wait:
        raise ApiError(
            429, "rate_limited", "too many sign-in attempts", headers=retry_after_header(wait)
        )
    ttl = timedelta(days=runtime.settings.session_days)
    with runtime.meta.begin() as s:
        user = authenticate_password(s, email, body.password)
        if user is None:
            raise ApiError(401, "invalid_credentials", "wrong e-mail or password")
        raw = create_session(s, user_id=user.id, ttl=ttl)
        payload = {"user": user_json(user.id, user.email), "csrf_token": csrf_token(raw)}
    response = JSONResponse(payload)
    set_session_cookies(response, request, raw, ttl)
    return response


def set_session_cookies(response: Response, request: Request, raw: str, ttl: timedelta) -> None:
    runtime: Runtime = request.app.state.runtime
    secure = runtime.settings.secure_cookies or request.url.scheme == "https"
    seconds = int(ttl.total_seconds())
    common: dict[str, Any] = {"max_age": seconds, "samesite": "lax", "secure": secure, "path": "/"}
    response.set_cookie(SESSION_COOKIE, raw, httponly=True, **common)
    response.set_cookie(CSRF_COOKIE, csrf_token(raw), httponly=False, **common)


@router.post("/api/auth/logout", status_code=204)
def logout(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Response:
    runtime: Runtime = request.app.state.runtime
    if principal.session_token is not None:
        with runtime.meta.begin() as s:
            end_session(s, principal.session_token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")
    return response


@router.post("/api/me/password", status_code=204)
def change_password(
    body: PasswordChange,
    request: Request,
    principal: Annotated[Principal, Depends(current_principal)],
) -> Response:
    if principal.user_id is None or principal.api_key_id is not None:
        raise ApiError(403, "forbidden", "sign in as a user to change a password")
    runtime: Runtime = request.app.state.runtime
    with runtime.meta.begin() as s:
        user = s.get(User, principal.user_id)
        if user is None or not verify_password(user.password_hash, body.current_password):
            raise ApiError(400, "wrong_password", "the current password is wrong")
        user.password_hash = hash_password(body.new_password)
        end_other_sessions(s, user.id, principal.session_token)
    return Response(status_code=204)


@router.get("/api/me")
def me(request: Request, principal: Annotated[Principal, Depends(current_principal)]) -> Response:
    runtime: Runtime = request.app.state.runtime
    with runtime.meta() as s:
        org_ids = sorted({g.organization_id for g in principal.grants})
        organizations = []
        projects: list[dict[str, Any]] = []
        for org_id in org_ids:
            organization = s.get(Organization, org_id)
            if organization is None:
                continue
            organizations.append(
                {
                    "id": organization.id,
                    "name": organization.name,
                    "role": principal.organization_role(org_id),
                }
            )
            projects.extend(
                project_json(p, role)
                for p in list_projects(s, org_id)
                if (role := principal.role_in(org_id, p.id)) is not None
            )
    token = principal.session_token
    return JSONResponse(
        {
            "user": user_json(principal.user_id, principal.email),
            "csrf_token": csrf_token(token) if token else None,
            "organizations": organizations,
            "projects": projects,
        }
    )


def project_json(project: Project, role: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": project.id,
        "name": project.name,
        "organization_id": project.organization_id,
        "timezone": project.timezone,
        "currency": project.currency,
    }
    if role is not None:
        body["role"] = role
    return body
