"""Browser sign-in: one-time login tokens, signed session cookies, CSRF, and what they open."""

from __future__ import annotations

import base64
import json
import re
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tts_agents.server import ServerSettings, create_app
from tts_agents.server.browser_auth import CSRF_HEADER, SESSION_COOKIE, BrowserAuth
from tts_agents.server.run import load_agents
from tts_agents.server.testing import running_server, self_signed_certificate

KEY = "web-auth-key"
PUBLIC_AGENT = """\
id: open-desk
name: Open desk
first_message: Hello.
knowledge_base: [{knowledge}]
examples: ["What formats do you support?"]
public: true
"""


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


# Units: the token and cookie rules.


def test_a_login_token_works_once() -> None:
    auth = BrowserAuth()
    token = auth.issue_login_token()
    assert auth.redeem_login_token(token) is not None
    assert auth.redeem_login_token(token) is None
    assert auth.redeem_login_token("made-up") is None


def test_a_login_token_expires_after_a_day() -> None:
    clock = Clock()
    auth = BrowserAuth(clock=clock)
    fresh, stale = auth.issue_login_token(), auth.issue_login_token()
    clock.now += 23 * 3600
    assert auth.redeem_login_token(fresh) is not None
    clock.now += 2 * 3600
    assert auth.redeem_login_token(stale) is None


def test_a_cookie_round_trips_and_expires() -> None:
    clock = Clock()
    auth = BrowserAuth(ttl=60, max_age=300, clock=clock)
    session = auth.redeem_login_token(auth.issue_login_token())
    assert session is not None
    cookie = auth.cookie_value(session)
    assert auth.read_cookie(cookie) == session
    clock.now += 61
    assert auth.read_cookie(cookie) is None


def test_renewal_slides_the_expiry_up_to_the_cap() -> None:
    clock = Clock()
    auth = BrowserAuth(ttl=60, max_age=200, clock=clock)
    session = auth.redeem_login_token(auth.issue_login_token())
    assert session is not None
    clock.now += 50
    renewed = auth.renew(session)
    assert renewed.expires == clock.now + 60
    clock.now += 100
    assert auth.renew(renewed).expires == session.issued + 200  # capped


def test_a_tampered_or_foreign_cookie_is_refused() -> None:
    auth = BrowserAuth()
    session = auth.redeem_login_token(auth.issue_login_token())
    assert session is not None
    body, signature = auth.cookie_value(session).split(".")
    fields = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    fields["exp"] += 10_000
    forged = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    assert auth.read_cookie(f"{forged}.{signature}") is None
    assert BrowserAuth().read_cookie(auth.cookie_value(session)) is None  # other secret
    for junk in ("", "abc", "a.b.c", "....", "%%%.%%%"):
        assert auth.read_cookie(junk) is None


def test_revoked_sessions_stop_working_and_csrf_is_bound_to_the_session() -> None:
    auth = BrowserAuth()
    first = auth.redeem_login_token(auth.issue_login_token())
    second = auth.redeem_login_token(auth.issue_login_token())
    assert first is not None and second is not None
    assert auth.csrf_ok(first, auth.csrf_token(first))
    assert not auth.csrf_ok(first, auth.csrf_token(second))
    assert not auth.csrf_ok(first, None)
    auth.revoke(first)
    assert auth.read_cookie(auth.cookie_value(first)) is None
    assert auth.read_cookie(auth.cookie_value(second)) == second


# Against a live server.


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    folder = tmp_path_factory.mktemp("agents")
    knowledge = folder / "facts.md"
    knowledge.write_text("TTS Agents makes mp3, opus, aac, flac, wav and pcm.\n")
    agent_file = folder / "open.yaml"
    agent_file.write_text(PUBLIC_AGENT.format(knowledge=knowledge.name))
    app = create_app(ServerSettings(api_keys=(KEY,), agents=load_agents([str(agent_file)])))
    with running_server(app) as url:
        yield url, app


@contextmanager
def _signed_in(url: str, app: object) -> Iterator[tuple[httpx.Client, str]]:
    with httpx.Client(base_url=url) as client:
        token = app.state.browser_auth.issue_login_token()  # type: ignore[attr-defined]
        response = client.post(
            "/v1/web/session", json={"login_token": token}, headers={CSRF_HEADER: "login"}
        )
        assert response.status_code == 200, response.text
        yield client, response.json()["csrf_token"]


def test_signing_in_sets_a_strict_httponly_cookie(served: tuple[str, object]) -> None:
    url, app = served
    token = app.state.browser_auth.issue_login_token()  # type: ignore[attr-defined]
    response = httpx.post(
        url + "/v1/web/session", json={"login_token": token}, headers={CSRF_HEADER: "login"}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain HTTP on loopback
    body = response.json()
    assert body["authenticated"] is True and body["csrf_token"] and body["login_error"] is None
    assert KEY not in response.text
    again = httpx.post(
        url + "/v1/web/session", json={"login_token": token}, headers={CSRF_HEADER: "login"}
    )
    _assert_refused(again)


def _assert_refused(response: httpx.Response) -> None:
    """A refused login answers the (signed-out) session state with the reason, no cookie."""
    assert response.status_code == 200
    body = response.json()
    assert body["authenticated"] is False and body["csrf_token"] is None
    assert "invalid or was already used" in body["login_error"]
    assert "set-cookie" not in response.headers


def test_signing_in_needs_the_custom_header(served: tuple[str, object]) -> None:
    url, app = served
    token = app.state.browser_auth.issue_login_token()  # type: ignore[attr-defined]
    response = httpx.post(url + "/v1/web/session", json={"login_token": token})
    assert response.status_code == 403
    for body in ({}, {"login_token": 5}, {"login_token": "nope"}):
        _assert_refused(
            httpx.post(url + "/v1/web/session", json=body, headers={CSRF_HEADER: "1"})
        )


def test_the_session_calls_the_api_only_with_its_csrf_header(served: tuple[str, object]) -> None:
    url, app = served
    with _signed_in(url, app) as (client, csrf):
        assert client.get("/v1/models").status_code == 401  # cookie alone: refused
        assert client.get("/v1/models", headers={CSRF_HEADER: "wrong"}).status_code == 401
        assert client.get("/v1/models", headers={CSRF_HEADER: csrf}).status_code == 200
        speech = client.post(
            "/v1/audio/speech",
            json={"model": "tts-1", "input": "Hi.", "voice": "alloy", "response_format": "wav"},
            headers={CSRF_HEADER: csrf},
        )
        assert speech.status_code == 200 and speech.content[:4] == b"RIFF"
        signed = client.get(
            "/v1/convai/conversation/get-signed-url",
            params={"agent_id": "help-desk"},
            headers={CSRF_HEADER: csrf},
        )
        assert signed.status_code == 200
        assert "conversation_signature=" in signed.json()["signed_url"]


def test_signing_out_revokes_the_cookie(served: tuple[str, object]) -> None:
    url, app = served
    with _signed_in(url, app) as (client, csrf):
        cookie = client.cookies[SESSION_COOKIE]
        assert client.delete("/v1/web/session").status_code == 401  # needs the CSRF header
        assert client.delete("/v1/web/session", headers={CSRF_HEADER: csrf}).status_code == 204
        stolen = httpx.get(
            url + "/v1/models", cookies={SESSION_COOKIE: cookie}, headers={CSRF_HEADER: csrf}
        )
        assert stolen.status_code == 401


def test_agents_are_listed_for_the_signed_in_and_public_ones_for_anyone(
    served: tuple[str, object],
) -> None:
    url, app = served
    anonymous = httpx.get(url + "/v1/web/session").json()
    assert anonymous["authenticated"] is False and anonymous["csrf_token"] is None
    assert [agent["id"] for agent in anonymous["agents"]] == ["open-desk"]
    assert httpx.get(url + "/v1/web/agents").status_code == 401
    listed = httpx.get(url + "/v1/web/agents", headers={"Authorization": f"Bearer {KEY}"})
    assert {agent["id"]: agent["public"] for agent in listed.json()["agents"]} == {
        "help-desk": False,
        "open-desk": True,
    }
    with _signed_in(url, app) as (client, csrf):
        session = client.get("/v1/web/session").json()
        assert session["authenticated"] is True and session["csrf_token"] == csrf
        assert len(session["agents"]) == 2


def test_login_links_need_a_key_not_a_session(served: tuple[str, object]) -> None:
    url, app = served
    made = httpx.post(url + "/v1/web/login-links", headers={"Authorization": f"Bearer {KEY}"})
    assert made.status_code == 200
    link = made.json()["login_url"]
    token = re.search(r"/#login=([\w-]+)$", link).group(1)  # type: ignore[union-attr]
    redeemed = httpx.post(
        url + "/v1/web/session", json={"login_token": token}, headers={CSRF_HEADER: "1"}
    )
    assert redeemed.status_code == 200
    with _signed_in(url, app) as (client, csrf):
        assert client.post("/v1/web/login-links", headers={CSRF_HEADER: csrf}).status_code == 403


def test_docs_and_schema_need_a_key_or_a_session(served: tuple[str, object]) -> None:
    url, app = served
    page = httpx.get(url + "/docs")
    assert page.status_code == 303 and page.headers["location"] == "/signin"
    assert "Sign in" in httpx.get(url + "/signin").text
    assert httpx.get(url + "/openapi.json").status_code == 401
    keyed = httpx.get(url + "/openapi.json", headers={"Authorization": f"Bearer {KEY}"})
    assert keyed.status_code == 200 and "/v1/audio/speech" in keyed.json()["paths"]
    # A browser navigates to these: the cookie alone is enough to read them.
    with _signed_in(url, app) as (client, _):
        assert "swagger-ui-bundle.js" in client.get("/docs").text
        assert client.get("/openapi.json").status_code == 200


def test_pages_and_static_files_are_public_but_hold_no_secrets(
    served: tuple[str, object],
) -> None:
    url, _ = served
    for path in ("/", "/playground", "/static/js/agent-page.js", "/static/css/base.css"):
        response = httpx.get(url + path)
        assert response.status_code == 200, path
        assert KEY not in response.text
    assert httpx.get(url + "/static/../web_routes.py").status_code == 404


def test_pages_get_the_strict_page_policy_and_the_api_keeps_none(
    served: tuple[str, object],
) -> None:
    url, _ = served
    page = httpx.get(url + "/").headers["content-security-policy"]
    assert "script-src 'self'" in page and "style-src 'self'" in page
    assert "frame-ancestors 'none'" in page and "base-uri 'none'" in page
    assert "unsafe" not in page and "http" not in page and "*" not in page
    api = httpx.get(url + "/v1/models", headers={"Authorization": f"Bearer {KEY}"})
    assert api.headers["content-security-policy"].startswith("default-src 'none';")
    assert "script-src" not in api.headers["content-security-policy"]
    script = httpx.get(url + "/static/js/session.js")
    kind = script.headers["content-type"].split(";")[0]
    assert kind in ("text/javascript", "application/javascript")
    assert script.headers["x-content-type-options"] == "nosniff"


def test_under_tls_the_cookie_is_secure(tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path)
    app = create_app(ServerSettings(api_keys=(KEY,), tls=True))
    with running_server(app, ssl_certfile=str(cert), ssl_keyfile=str(key)) as url:
        token = app.state.browser_auth.issue_login_token()
        response = httpx.post(
            url + "/v1/web/session",
            json={"login_token": token},
            headers={CSRF_HEADER: "login"},
            verify=ssl.create_default_context(cafile=str(cert)),
        )
    assert response.status_code == 200
    assert "Secure" in response.headers["set-cookie"]
    assert "Strict-Transport-Security" in response.headers


def test_serve_prints_a_login_url_that_signs_a_browser_in(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed interpreter and module
        [sys.executable, "-m", "tts_agents", "serve", "--port", str(port)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        link = _wait_for_line(process, r"(http://127\.0\.0\.1:\d+/#login=[\w-]+)")
        token = link.rsplit("=", 1)[1]
        base = link.split("/#", 1)[0]
        deadline = time.monotonic() + 60
        while True:
            try:
                response = httpx.post(
                    base + "/v1/web/session",
                    json={"login_token": token},
                    headers={CSRF_HEADER: "login"},
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert response.status_code == 200 and response.json()["authenticated"] is True
    finally:
        process.terminate()
        process.wait(timeout=20)



def _wait_for_line(process: subprocess.Popen[str], pattern: str) -> str:
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        found = re.search(pattern, line)
        if found:
            return found.group(1)
    raise AssertionError(f"no login URL printed: {''.join(seen)[-2000:]}")
