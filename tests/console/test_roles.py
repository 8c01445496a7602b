"""Every console route x every role -> allowed or refused; without a session -> the sign-in form.

Add a row for every new console route: the test fails for a route without one.
"""

from __future__ import annotations

import re

from tests.console.conftest import csrf_token

OPEN = "open"  # reached without a session
ANY = "any"  # every signed-in user
ROLES = ("moderator", "privacy_officer", "auditor", "admin")

ACTION_RULE = (
    "<any('verify','acknowledge','extend','deny','cancel','request-information',"
    "'information-received','lift'):action>"
)
CONSOLE_ROUTES: dict[tuple[str, str], object] = {
    ("GET", "/console/sign-in"): OPEN,
    ("POST", "/console/sign-in"): OPEN,
    ("GET", "/console/static/<path:filename>"): OPEN,
    ("GET", "/request"): OPEN,
    ("POST", "/request"): OPEN,
    ("GET", "/request/confirm/<uuid:submission_id>"): OPEN,
    ("POST", "/request/confirm/<uuid:submission_id>"): OPEN,
    ("GET", "/request/status/<token>"): OPEN,
    ("GET", "/request/status/<token>/package"): OPEN,
    ("GET", "/console/sign-in/code"): ANY,
    ("POST", "/console/sign-in/code"): ANY,
    ("POST", "/console/sign-out"): ANY,
    ("GET", "/console/"): ANY,
    ("GET", "/console/account"): ANY,
    ("POST", "/console/account/totp"): ANY,
    ("GET", "/console/account/password"): ANY,
    ("POST", "/console/account/password"): ANY,
    ("GET", "/console/users"): {"admin"},
    ("POST", "/console/users"): {"admin"},
    ("POST", "/console/users/<uuid:user_id>/disable"): {"admin"},
    ("GET", "/console/replies/check"): {"moderator", "privacy_officer"},
    ("POST", "/console/replies/check"): {"moderator", "privacy_officer"},
    ("GET", "/console/audit"): {"auditor"},
    ("GET", "/console/audit/export"): {"auditor"},
    ("GET", "/console/audit/checkpoints"): {"auditor"},
    ("POST", "/console/audit/verifications"): {"auditor"},
    ("POST", "/console/audit/witness-state"): {"auditor"},
    ("GET", "/console/audit/verifications/<uuid:verification_id>"): {"auditor"},
    ("GET", "/console/requests"): {"privacy_officer"},
    ("GET", "/console/requests/new"): {"privacy_officer"},
    ("POST", "/console/requests/new"): {"privacy_officer"},
    ("GET", "/console/requests/<uuid:request_id>"): {"privacy_officer"},
    ("POST", "/console/requests/<uuid:request_id>/" + ACTION_RULE): {"privacy_officer"},
    ("POST", "/console/requests/<uuid:request_id>/execute"): {"privacy_officer"},
    ("GET", "/console/requests/<uuid:request_id>/package"): {"privacy_officer"},
    ("POST", "/console/requests/<uuid:request_id>/tasks/<uuid:task_id>/resolve"): {
        "privacy_officer"
    },
    ("POST", "/console/requests/<uuid:request_id>/tasks/<uuid:task_id>/send"): {"privacy_officer"},
    ("GET", "/console/holds"): {"privacy_officer"},
    ("POST", "/console/holds"): {"privacy_officer"},
    ("POST", "/console/holds/<uuid:hold_id>/release"): {"privacy_officer"},
    ("POST", "/console/holds/suggested/<uuid:item_id>"): {"privacy_officer"},
    ("GET", "/console/archive"): {"privacy_officer"},
    ("POST", "/console/archive"): {"privacy_officer"},
    ("POST", "/console/archive/items/<uuid:item_id>/raw"): {"privacy_officer"},
    ("GET", "/console/redaction"): {"moderator"},
    ("POST", "/console/redaction"): {"moderator"},
    ("GET", "/console/reports"): {"privacy_officer"},
    ("GET", "/console/reports/records.csv"): {"privacy_officer"},
    ("GET", "/console/keys"): {"admin"},
    ("POST", "/console/keys"): {"admin"},
    ("GET", "/console/keys/<uuid:key_id>/revoke"): {"admin"},
    ("POST", "/console/keys/<uuid:key_id>/revoke"): {"admin"},
    ("GET", "/console/policies"): {"admin"},
    ("GET", "/console/policies/<platform>"): {"admin"},
    ("POST", "/console/policies/<platform>"): {"admin"},
    ("GET", "/console/recipients"): {"privacy_officer"},
    ("POST", "/console/recipients"): {"privacy_officer"},
    ("GET", "/console/recipients/<uuid:recipient_id>"): {"privacy_officer"},
    ("POST", "/console/recipients/<uuid:recipient_id>"): {"privacy_officer"},
    ("POST", "/console/recipients/<uuid:recipient_id>/archive"): {"privacy_officer"},
}

_PLACEHOLDER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")


def console_routes(app) -> set[tuple[str, str]]:
    return {
        (method, rule.rule)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(("console.", "portal."))
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _path(rule: str) -> str:
    def fill(match: re.Match) -> str:
        if match.group(1) == "uuid":
            return "00000000-0000-4000-8000-000000000000"
        if match.group(1) == "any":
            return match.group(2).split(",")[0].strip("'\"")
        return "console.css" if match.group(3) == "filename" else "unknown-token"

    return _PLACEHOLDER.sub(fill, rule)


def test_every_console_route_has_a_row(app):
    assert console_routes(app) == set(CONSOLE_ROUTES)


def test_without_a_session_only_the_open_pages_answer(client):
    token = csrf_token(client.get("/console/sign-in").get_data(as_text=True))
    for (method, rule), allowed in sorted(CONSOLE_ROUTES.items()):
        response = client.open(_path(rule), method=method, data={"csrf_token": token})
        response.close()  # the stylesheet is a file response, open until closed
        if allowed == OPEN:
            assert response.status_code < 500, (method, rule, response.status_code)
            assert response.status_code not in {302, 403}, (method, rule)
        else:
            assert response.status_code == 302, (method, rule, response.status_code)
            assert response.headers["Location"].startswith("/console/sign-in?next=")


def test_each_role_opens_its_pages_and_no_other(app, make_user):
    for role in ROLES:
        client = app.test_client()
        user = make_user(role)
        token = csrf_token(client.get("/console/sign-in").get_data(as_text=True))
        client.post(
            "/console/sign-in",
            data={"email": user.email, "password": user.password, "csrf_token": token},
        )
        token = csrf_token(client.get("/console/").get_data(as_text=True))
        # Signing out last: it ends the session the other calls use.
        routes = sorted(CONSOLE_ROUTES.items(), key=lambda item: item[0][1] == "/console/sign-out")
        for (method, rule), allowed in routes:
            if allowed == OPEN:
                continue
            response = client.open(_path(rule), method=method, data={"csrf_token": token})
            if allowed == ANY or role == "admin" or role in allowed:
                assert response.status_code != 403, (role, method, rule)
                assert response.status_code < 500, (role, method, rule, response.status_code)
            else:
                assert response.status_code == 403, (role, method, rule, response.status_code)
