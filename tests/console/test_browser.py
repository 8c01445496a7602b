"""The console in a real headless Chromium: what a person sees and does."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime

import psycopg
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.archive.conftest import run_worker_once
from tests.audit.helpers import fill
from tests.console.conftest import PASSWORD
from tests.console.report_data import file_year_of_requests
from tests.dsr.conftest import Archive, hooks  # noqa: F401 (a fixture)


def test_sign_in_and_sign_out(browser, make_user):
    user = make_user("privacy_officer")
    browser.open("/console/")
    assert browser.path.startswith("/console/sign-in")
    browser.screenshot("sign-in")
    browser.fill({"email": user.email, "password": "a wrong password"})
    browser.submit("#sign-in")
    assert "Sign-in failed" in browser.find("#error").text

    browser.sign_in(user)
    assert browser.path == "/console/"
    assert "Signed in as Test privacy_officer" in browser.text
    browser.submit("#sign-out")
    assert browser.path == "/console/sign-in"
    browser.open("/console/")
    assert browser.path.startswith("/console/sign-in")  # the session ended


def test_a_form_with_a_forged_csrf_token_is_refused(browser, make_user, conn):
    admin = make_user("admin")
    browser.sign_in(admin)
    browser.open("/console/users")
    browser.fill({"name": "New Officer", "email": "new@example.org", "role": "privacy_officer"})
    # What a page on another site would have to do: post without the token of our page.
    browser.driver.execute_script(
        "document.querySelectorAll('input[name=csrf_token]')"
        ".forEach(function (input) { input.value = 'forged'; });"
    )
    browser.submit("form.narrow button")
    assert "did not come from this site" in browser.find("#error").text
    assert conn.execute("SELECT count(*) AS n FROM console_users").fetchone()["n"] == 1


def test_an_admin_creates_a_user_who_must_choose_a_password(browser, make_user, chromium):
    admin = make_user("admin")
    browser.sign_in(admin)
    browser.open("/console/users")
    browser.fill({"name": "New Moderator", "email": "mod@example.org", "role": "moderator"})
    browser.submit("form.narrow button")
    one_time = browser.find("#one-time-password").text
    browser.submit("#sign-out")

    browser.open("/console/sign-in")
    browser.fill({"email": "mod@example.org", "password": one_time})
    browser.submit("#sign-in")
    assert browser.path == "/console/account/password"
    browser.fill(
        {
            "current_password": one_time,
            "new_password": PASSWORD,
            "new_password_again": PASSWORD,
        }
    )
    browser.submit("#change-password")
    assert "Your password has been changed." in browser.text
    # Role separation: a moderator does not reach the users page.
    browser.open("/console/users")
    assert "Your role may not open this page." in browser.find("#error").text


def test_the_reply_checker_blocks_a_phone_number(browser, make_user):
    browser.sign_in(make_user("moderator"))
    browser.open("/console/")
    browser.submit("a[href='/console/replies/check']")
    browser.fill({"text": "Hi there, ring us back on +31 6 12345678 and we will sort it out."})
    browser.submit("#check")
    assert browser.find("#verdict").text == "block"
    marked = browser.find("mark[data-entity='PHONE_NUMBER']")
    assert marked.text.startswith("+31 6 12345678")
    assert "PHONE_NUMBER: public replies may not disclose" in browser.find("#reasons").text
    assert "direct message" in browser.find("#suggestion").text
    assert "<PHONE_NUMBER>" in browser.find("#safe-text").text
    browser.screenshot("reply-checker")


def test_an_auditor_verifies_the_log(browser, make_user, db_url, integrate_audit, app_config):
    fill(db_url, 4)
    browser.sign_in(make_user("auditor"))
    integrate_audit()
    browser.open("/console/")
    browser.submit("a[href='/console/audit']")
    browser.submit("a[href='/console/audit/checkpoints']")
    assert browser.find(".fingerprint").text
    browser.submit("#verify")
    browser.wait_for_text("#verification-status", "Waiting for a worker")
    run_worker_once(app_config)
    # The page reloads itself every 2 seconds until the verification is done.
    browser.wait_for_text("#verification-status", "The log is intact")
    assert int(browser.find("#checked").text) == int(browser.find("#tree-size").text) >= 5
    browser.screenshot("audit-verification")
    browser.open("/console/audit")
    browser.screenshot("audit-events")


def test_a_portal_request_taken_to_completion_and_its_package_downloaded(
    inbox, browser, make_user, tmp_path
):
    # The data subject files an access request and confirms it with the e-mailed code.
    browser.open("/request")
    browser.screenshot("portal")
    browser.fill({"type": "access", "place": "eu", "email": "lee@example.org", "names": "Lee Ray"})
    browser.submit("#send-request")
    browser.fill({"code": inbox.code()})
    browser.submit("#confirm")
    assert "Received; we are checking who you are" in browser.find("#portal-status").text
    status_page = browser.path
    assert status_page in inbox.last_body()

    # A privacy officer finds it in the queue, verifies the identity and carries it out.
    browser.driver.delete_all_cookies()
    browser.sign_in(make_user("privacy_officer"))
    browser.open("/console/requests")
    browser.submit("#requests tbody a")
    assert "lee@example.org" in browser.find("#identifiers").text
    browser.fill({"method": "email_confirmation"})
    browser.find("input[name='matched_data_points'][value='email']").click()
    browser.submit("#verify")
    assert browser.find("#request-status").text == "verified"
    browser.submit("#execute")
    assert browser.find("#request-status").text == "completed"
    browser.screenshot("request")
    request_page = browser.path
    browser.open("/console/requests")
    browser.screenshot("request-queue")
    browser.submit("#sign-out")

    # Role separation: a moderator cannot open the request.
    browser.sign_in(make_user("moderator"))
    browser.open(request_page)
    assert "Your role may not open this page." in browser.find("#error").text
    assert "lee@example.org" not in browser.text
    browser.submit("#sign-out")

    # The subject's status link now offers the package; the browser downloads it.
    browser.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.open(status_page)
    assert browser.find("#portal-status").text == "Done"
    browser.find("#portal-package").click()
    package = tmp_path / "my-data.zip"
    WebDriverWait(browser.driver, 30).until(lambda _: package.exists())
    assert zipfile.is_zipfile(package)
    assert any(name.lower().startswith("readme") for name in zipfile.ZipFile(package).namelist())


def test_an_officer_reads_the_report_and_downloads_the_records(
    browser, make_user, client, auth, conn, tmp_path
):
    file_year_of_requests(client, auth("privacy_officer"), conn)
    browser.sign_in(make_user("privacy_officer"))
    browser.open("/console/")
    browser.submit("a[href='/console/reports']")
    assert browser.find("#choose-regime").text  # a report is of one regime
    browser.fill({"regime": "gdpr", "year": "2025"})
    browser.submit("#show-report")
    bars = {bar.get_attribute("data-label"): bar for bar in browser.find_all("#report-chart g.bar")}
    assert bars["access"].get_attribute("data-count") == "3"
    assert bars["erasure"].get_attribute("data-count") == "2"
    # Drawn by the browser from the stylesheet (no script, no inline style): the bars have
    # the accent colour and lengths in proportion to the counts.
    access = bars["access"].find_element("css selector", "rect")
    erasure = bars["erasure"].find_element("css selector", "rect")
    assert access.value_of_css_property("fill") == "rgb(11, 92, 173)"
    assert erasure.rect["width"] == pytest.approx(access.rect["width"] * 2 / 3, rel=0.02)
    assert "8" in browser.find("#by-type tr[data-row='erasure'] .median").text
    browser.screenshot("reports")

    # At a phone's width the page does not scroll sideways and the chart still fits.
    browser.driver.set_window_size(390, 844)
    try:
        assert browser.driver.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"
        )
        assert 0 < browser.find("#report-chart").rect["width"] <= 390
    finally:
        browser.driver.set_window_size(1280, 900)

    browser.driver.execute_cdp_cmd(
        "Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)}
    )
    browser.find("#records-csv").click()
    WebDriverWait(browser.driver, 30).until(lambda _: list(tmp_path.glob("*.csv")))
    [download] = tmp_path.glob("*.csv")
    rows = list(csv.DictReader(io.StringIO(download.read_text())))
    assert len(rows) == 5 and {row["regime"] for row in rows} == {"gdpr"}
    assert sorted(row["nature_of_response"] for row in rows).count("denied") == 2


def test_an_admin_creates_an_api_key_sees_it_once_and_revokes_it(browser, make_user, client):
    browser.sign_in(make_user("admin"))
    browser.open("/console/")
    browser.submit("a[href='/console/keys']")
    browser.fill({"name": "Ticket sync", "role": "moderator"})
    browser.submit("#create-key")
    secret = browser.find("#new-key").text
    assert "shown only once" in browser.find("#key-created").text
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.post("/v1/redact", json={"text": "hi"}, headers=headers).status_code == 200

    browser.open("/console/keys")
    assert secret not in browser.driver.page_source
    browser.submit("#keys a.revoke")
    assert "Revoke the key Ticket sync (moderator)?" in browser.find("#revoke-question").text
    browser.submit("#confirm-revoke")
    assert browser.path == "/console/keys"
    assert "Revoked the key Ticket sync." in browser.text
    assert browser.find("#keys .key-state").text == "revoked"
    browser.screenshot("api-keys")
    assert client.post("/v1/redact", json={"text": "hi"}, headers=headers).status_code == 401


def test_the_admin_pages_fit_a_phone(browser, make_user):
    browser.sign_in(make_user("admin"))
    browser.driver.set_window_size(390, 844)
    try:
        for path in (
            "/console/keys",
            "/console/policies",
            "/console/policies/x",
            "/console/recipients",
        ):
            browser.open(path)
            assert browser.driver.execute_script(
                "return document.documentElement.scrollWidth <= window.innerWidth"
            ), path
    finally:
        browser.driver.set_window_size(1280, 900)


def test_an_officer_asks_for_information_resumes_and_places_a_hold(
    browser,
    make_user,
    client,
    auth,
    db_url,
    hooks,  # noqa: F811 (the fixture imported above)
    run_jobs,
):
    archive = Archive(db_url)
    rae = archive.subject(handles=[("x", "@rae_d")])
    archive.item(rae, "Please delete my account and everything I posted")
    kit = archive.subject(handles=[("x", "@kit_w")], emails=["kit@example.net"])
    archive.item(kit, "You will hear from my solicitor about the broken kettle")
    lee = archive.subject(handles=[("x", "@lee_p")])
    flagged = archive.item(lee, "Your heater caught fire, I am suing you")
    with psycopg.connect(db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO triage_flags (item_id, flag, start_offset, end_offset, score, rule_id,"
            " rules_version, text_hash, flagged_at)"
            " SELECT id, 'legal_threat', 0, 4, 0.95, 'console-test', 'test', text_hash, now()"
            " FROM feedback_items WHERE id = %s",
            (flagged,),
        )
    officer_key = auth("privacy_officer")
    registered = client.post(
        "/v1/recipients",
        json={"name": "Helpdesk Ltd", "kind": "processor", "webhook_url": hooks.url + "/hook"},
        headers=officer_key,
    )
    assert registered.status_code == 201
    filed = client.post(
        "/v1/requests",
        json={
            "type": "erasure",
            "regime": "gdpr",
            "subject": {"handles": [{"platform": "x", "handle": "@rae_d"}]},
            "received_at": datetime.now(UTC).isoformat(),
        },
        headers=officer_key,
    )
    assert filed.status_code == 201

    browser.sign_in(make_user("privacy_officer"))
    browser.open("/console/requests")
    browser.submit("#requests tbody a")
    browser.driver.find_element(
        By.XPATH, "//summary[normalize-space()='Ask the subject for information']"
    ).click()
    browser.fill(
        {
            "what": "The e-mail address you used to sign up",
            "reason": "The handle alone does not show the account is yours.",
        }
    )
    browser.submit("#request-information")
    assert browser.find("#request-status").text == "awaiting the subject"
    assert "the clock is paused" in browser.find("#paused-at").text
    assert "request for information" in browser.find("#notices").text
    browser.fill({"notes": "They answered from the sign-up address"})
    browser.submit("#information-received")
    assert browser.find("#request-status").text == "received"
    assert "information received" in browser.find("#history").text
    request_page = browser.path

    # A hold first, on someone else's data: the kettle dispute.
    browser.submit("a[href='/console/holds']")
    assert "legal threat" in browser.find("#suggested").text
    browser.fill(
        {
            "handles": "x:@kit_w",
            "basis": "legal_claims",
            "reason": "Kettle dispute: solicitor's letter of 2 March",
        }
    )
    browser.submit("#place")
    assert "Placed 1 legal holds." in browser.find("main .notice").text
    assert str(kit) in browser.find("#holds").text
    assert "Kettle dispute" in browser.find("#holds").text
    browser.screenshot("holds")
    browser.driver.set_window_size(390, 844)  # a phone: nothing wider than the screen
    assert browser.driver.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth"
    )
    browser.driver.set_window_size(1280, 900)

    # Back to the request: verified, carried out, it waits for the recipient's task.
    browser.open(request_page)
    browser.fill({"method": "email_confirmation"})
    browser.find("input[name='matched_data_points'][value='email']").click()
    browser.submit("#verify")
    browser.submit("#execute")
    assert browser.find("#request-status").text == "awaiting the recipients"
    assert "not sent yet" in browser.find("#tasks").text
    run_jobs()  # a worker delivers the task to the recipient's webhook
    browser.open(request_page)
    assert "sent, waiting for the recipient" in browser.find("#tasks").text
    browser.screenshot("request-tasks")
