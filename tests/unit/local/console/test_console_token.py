"""The console token: kept private in the home, checked in constant time, set as a strict cookie."""

from __future__ import annotations

from airflow_sm_provider.local.console import token as console_token
from airflow_sm_provider.local.console.token import COOKIE, ConsoleToken


def test_a_home_gets_one_private_token_that_stays(tmp_path):
    first = console_token.for_home(tmp_path / "home")
    assert len(first) >= 40
    assert console_token.for_home(tmp_path / "home") == first
    path = tmp_path / "home" / console_token.FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "home").stat().st_mode & 0o777 == 0o700
    assert console_token.for_home(tmp_path / "other") != first


def test_only_the_token_itself_matches():
    token = ConsoleToken("s3cret-token")
    assert token.matches("s3cret-token")
    assert not token.matches("s3cret-toke") and not token.matches("") and not token.matches(None)


def test_the_cookie_is_http_only_strict_and_scoped_to_the_console():
    token = ConsoleToken("abc")
    cookie = token.set_cookie()
    assert cookie.startswith(f"{COOKIE}=abc;")
    assert {"HttpOnly", "SameSite=Strict", "Path=/console/"} <= {part.strip() for part in cookie.split(";")}
    assert token.from_cookie(f"other=1; {COOKIE}=abc")
    assert not token.from_cookie(f"{COOKIE}=abd") and not token.from_cookie(None)
    assert not token.from_cookie('bad"cookie') and not token.from_cookie("other=abc")


def test_the_connection_extra_names_the_console():
    assert console_token.connection_extra("http://h:1/console/", "t") == {
        "local_console_url": "http://h:1/console/",
        "local_console_token": "t",
    }


def test_a_page_signature_opens_that_page_and_those_under_it_only():
    token = ConsoleToken("secret-token")
    page = "/console/training-jobs/my-job"
    cookie = token.page_cookie(page)
    assert f"Path={page};" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    header = f"other=1; {cookie.split(';')[0]}"
    assert token.opens(header, page)
    assert token.opens(header, page + "/logs")
    assert not token.opens(header, "/console/training-jobs/my-job-2")  # a sibling, not a sub-page
    assert not token.opens(header, "/console/")
    assert not token.opens(header, "/console/tuning-jobs/other")
    assert not ConsoleToken("another-token").opens(header, page)


def test_a_signature_is_not_the_token():
    token = ConsoleToken("secret-token")
    assert "secret-token" not in token.sign("/console/") and not token.matches(token.sign("/console/"))
