"""Sign-in (SABOR_AUTH=1) through Streamlit's AppTest: only the sign-in page runs until a user signs in;
each role gets its pages; a page a role may not use refuses even when run directly; failures are limited;
the first admin comes from the environment."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis import signin
from analysis.store import audit_entries
from analysis.store.users import add_user
from tests.conftest import ROOT

APP = str(ROOT / "dashboard" / "app.py")
CARGAR = str(ROOT / "dashboard" / "views" / "cargar.py")


@pytest.fixture
def auth_store(store, monkeypatch):
    monkeypatch.setenv("SABOR_AUTH", "1")
    add_user(store, "vera", "viewer", "vista-solo-lectura")
    add_user(store, "alan", "analyst", "analista-clave-1")
    signin.THROTTLE._fails.clear()
    return store


def _sign_in(at: AppTest, user: str, pw: str) -> AppTest:
    at.text_input(key="signin_user").input(user)
    at.text_input(key="signin_pw").input(pw)
    return at.button[0].click().run()     # the form's "Entrar"


def test_only_the_signin_page_runs_until_a_user_signs_in(auth_store):
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "Iniciar sesión"
    assert not at.metric and not at.get("plotly_chart")
    at = _sign_in(at, "vera", "no-es-esta")
    assert any("incorrectos" in e.value for e in at.error)
    at = _sign_in(at, "vera", "vista-solo-lectura")
    assert not at.exception and at.title[0].value != "Iniciar sesión"
    assert at.session_state["_sabor_user"] == {"name": "vera", "role": "viewer", "via": "password"}
    acts = list(audit_entries(auth_store)["action"])
    assert acts[:2] == ["signin", "signin.failed"]


def test_a_page_the_role_may_not_use_refuses_when_run_directly(auth_store):
    at = AppTest.from_file(CARGAR, default_timeout=60)
    at.session_state["_sabor_user"] = {"name": "vera", "role": "viewer", "via": "password"}
    at.run()
    assert any("rol no permite" in e.value for e in at.error)
    assert not at.get("file_uploader")
    at = AppTest.from_file(CARGAR, default_timeout=60)
    at.session_state["_sabor_user"] = {"name": "alan", "role": "analyst", "via": "password"}
    at.run()
    assert not at.error and at.get("file_uploader")


def test_failures_are_throttled_per_name_and_per_session():
    t = signin.Throttle(max_failures=3, window_s=600, lock_s=10)
    for k in range(3):
        assert t.wait("user:ana", now=100 + k) == 0
        t.fail("user:ana", now=100 + k)
    assert t.wait("user:ana", now=103) == pytest.approx(9)      # 10 s from the last failure
    assert t.wait("user:otra", now=103) == 0
    t.fail("user:ana", now=113)
    assert t.wait("user:ana", now=113) == pytest.approx(20)     # doubles with each failure beyond
    assert t.wait("user:ana", now=800) == 0                     # outside the window
    t.clear("user:ana")
    assert t.wait("user:ana", now=113) == 0


def test_sign_in_refuses_while_throttled_even_with_the_right_password(auth_store, monkeypatch):
    th = signin.Throttle(max_failures=2, window_s=600, lock_s=30)
    for _ in range(2):
        assert signin.sign_in(auth_store, "vera", "mal", "s1", th).role is None
    a = signin.sign_in(auth_store, "vera", "vista-solo-lectura", "s2", th)
    assert a.role is None and a.wait_s > 0
    # another name from the first session is held too (per session)
    assert signin.sign_in(auth_store, "alan", "analista-clave-1", "s1", th).wait_s > 0
    assert signin.sign_in(auth_store, "alan", "analista-clave-1", "s3", th).role == "analyst"


def test_first_admin_from_the_environment_only_when_there_is_no_user(store, monkeypatch):
    monkeypatch.setenv("SABOR_ADMIN_USER", "raiz")
    monkeypatch.setenv("SABOR_ADMIN_PASSWORD", "primera-clave-admin")
    assert signin.bootstrap_admin(store) == "raiz"
    assert signin.sign_in(store, "raiz", "primera-clave-admin", "s", signin.Throttle()).role == "admin"
    monkeypatch.setenv("SABOR_ADMIN_USER", "otro")
    assert signin.bootstrap_admin(store) is None
