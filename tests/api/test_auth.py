"""Organization mode: a token from the accounts for every endpoint but health and readiness, the account's
role for the answers, and the web app's sign-in rules."""

from __future__ import annotations

import pytest

from tests.api.conftest import PASSWORD, bearer

pytestmark = pytest.mark.slow

PROTECTED = [
    ("get", "/v1/programs", None),
    ("post", "/v1/ask", {"question": "What does standard 6 expect?"}),
    ("post", "/v1/analyze", {"narratives": [{"text": "We cut waste by half."}]}),
    ("post", "/v1/check", {"application": "program: cpo"}),
    ("post", "/v1/recert", {"program": "cpt", "anniversary": "2026-03-01", "log": "date,activity,points\n"}),
]


@pytest.mark.parametrize(("method", "path", "body"), PROTECTED)
def test_every_endpoint_needs_a_valid_token(org, method, path, body):
    missing = org.request(method, path, json=body)
    assert missing.status_code == 401
    assert missing.json() == {"error": "sign in first: POST /v1/token, then send Authorization: Bearer <token>"}
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    forged = org.request(method, path, json=body, headers=bearer("not-a-real-token"))
    assert forged.status_code == 401 and forged.json()["error"].startswith("the token is not valid")


def test_health_and_readiness_need_no_token(org):
    assert org.get("/health").status_code == 200
    assert org.get("/ready").status_code == 200


def test_a_token_opens_every_endpoint(org, tokens):
    headers = bearer(tokens["sam"])
    assert org.get("/v1/programs", headers=headers).status_code == 200
    recert = {"program": "cpt", "anniversary": "2026-03-01", "today": "2026-05-01", "log": "date,activity,points\n"}
    assert org.post("/v1/recert", json=recert, headers=headers).json()["earned"] == 0


def test_sign_in_by_form_and_sign_out(org):
    signed = org.post("/v1/token", data={"username": "lou", "password": PASSWORD, "grant_type": "password"})
    assert signed.status_code == 200, signed.text
    body = signed.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 8 * 3600 and len(body["access_token"]) > 30
    assert signed.headers["Cache-Control"] == "no-store"
    token = body["access_token"]
    assert org.get("/v1/programs", headers=bearer(token)).status_code == 200
    assert org.delete("/v1/token", headers=bearer(token)).status_code == 204
    after = org.get("/v1/programs", headers=bearer(token))
    assert after.status_code == 401 and after.json()["error"].startswith("the token is not valid")


def test_a_wrong_password_gets_the_same_answer_as_a_wrong_name(org):
    wrong = org.post("/v1/token", json={"username": "lou", "password": "not-the-password"})
    nobody = org.post("/v1/token", json={"username": "nobody-here", "password": "not-the-password"})
    assert (wrong.status_code, wrong.json()) == (nobody.status_code, nobody.json())
    assert wrong.json() == {"error": "wrong username or password"} and wrong.status_code == 401
    empty = org.post("/v1/token", json={"username": "lou"})
    assert (empty.status_code, empty.json()) == (422, {"error": "password: Field required"})
    assert org.post("/v1/token", content=b"lou", headers={"Content-Type": "text/plain"}).status_code == 415


def test_the_account_decides_the_answer_role(org, tokens):
    question = {"question": "Can a peer sign my attestation?", "program": "cpt"}

    def role(user: str, **extra) -> tuple[int, str]:
        response = org.post("/v1/ask", json={**question, **extra}, headers=bearer(tokens[user]))
        return response.status_code, response.json().get("role") or response.json()["error"]

    assert role("sam") == (200, "candidate")
    assert role("mia") == (200, "mentor")
    assert role("stef") == (200, "staff")
    assert role("ada") == (200, "staff")  # an administrator is answered as staff
    assert role("sam", role="candidate") == (200, "candidate")


def test_only_staff_may_ask_as_another_role(org, tokens):
    body = {"question": "Can a peer sign my attestation?", "program": "cpt"}
    refused = org.post("/v1/ask", json={**body, "role": "staff"}, headers=bearer(tokens["sam"]))
    assert refused.status_code == 403
    assert refused.json() == {"error": "your account answers as candidate; only staff may ask as another role"}
    mentor = org.post("/v1/ask", json={**body, "role": "candidate"}, headers=bearer(tokens["mia"]))
    assert mentor.status_code == 403
    preview = org.post("/v1/ask", json={**body, "role": "mentor"}, headers=bearer(tokens["stef"]))
    assert preview.status_code == 200 and preview.json()["role"] == "mentor"
    admin = org.post("/v1/ask", json={**body, "role": "candidate"}, headers=bearer(tokens["ada"]))
    assert admin.status_code == 200 and admin.json()["role"] == "candidate"


def test_a_disabled_account_loses_its_token_at_once(org, org_settings):
    from app.accounts import Accounts, Principal
    from app.storage import Storage

    token = org.post("/v1/token", json={"username": "lou", "password": PASSWORD}).json()["access_token"]
    accounts = Accounts(Storage(org_settings.database), org_settings)
    accounts.set_disabled(Principal.operator(), "lou")
    try:
        assert org.get("/v1/programs", headers=bearer(token)).status_code == 401
        again = org.post("/v1/token", json={"username": "lou", "password": PASSWORD})
        assert again.json() == {"error": "this account is disabled; ask an administrator"}
    finally:
        accounts.set_disabled(Principal.operator(), "lou", disabled=False)


def test_personal_mode_needs_no_token_and_offers_none(personal):
    assert personal.get("/v1/programs").status_code == 200
    refused = personal.post("/v1/token", json={"username": "x", "password": "y"})
    assert refused.status_code == 400 and refused.json()["error"].startswith("accounts are off")
