"""Sign-in and roles in a real browser (SABOR_AUTH=1): a wrong password is refused, repeated failures are
throttled, a viewer sees neither the upload page nor the audit trail (not even by its address), an admin
reads the audit trail and erases a person's comments, which then exist in no table."""
from __future__ import annotations

import duckdb
import pytest

from analysis.store import Store
from analysis.store.users import add_user
from tests.fixtures_truth import load_demo_with_truth

pytestmark = pytest.mark.browser

EMAIL = "milagros.huaman53@hotmail.com"    # a customer of the demo who wrote her e-mail in a comment


def _sign_in(page, url: str, user: str, password: str) -> None:
    page.goto(url)
    page.get_by_label("Usuario").fill(user)
    page.get_by_label("Contraseña").fill(password)
    page.get_by_role("button", name="Entrar").click()


def _nav(page) -> str:
    return page.locator('[data-testid="stSidebarNav"]').inner_text()


def test_signin_roles_audit_and_erasure_in_the_browser(app_server, page, tmp_path):
    db = tmp_path / "auth.duckdb"
    s = Store.open(db)
    load_demo_with_truth(s)
    add_user(s, "vera", "viewer", "vista-solo-lectura")
    add_user(s, "adela", "admin", "admin-clave-segura")
    n_person = s.scalar("SELECT count(*) FROM feedback WHERE strpos(text, ?) > 0", [EMAIL])
    s.close()
    assert n_person >= 1
    url = app_server(db, {"SABOR_AUTH": "1", "SABOR_SIGNIN_MAX_FAILURES": "3", "SABOR_SIGNIN_LOCK_S": "8"})

    # nothing but the sign-in page without a session, whatever the address
    page.goto(f"{url}/cargar")
    page.get_by_role("button", name="Entrar").wait_for()
    assert page.locator('[data-testid="stFileUploader"]').count() == 0
    # a wrong password is refused
    _sign_in(page, url, "vera", "no-es-la-clave")
    page.get_by_text("Usuario o contraseña incorrectos").wait_for()
    # the viewer: reading pages only
    _sign_in(page, url, "vera", "vista-solo-lectura")
    page.get_by_text("Sesión: vera (viewer)", exact=False).wait_for()
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Resumen").wait_for()
    nav = _nav(page)
    assert "Tendencias" in nav and "Cargar datos" not in nav and "Preguntar" not in nav
    assert "Auditoría" not in nav
    page.screenshot(path=str(tmp_path / "viewer.png"), full_page=True)
    page.get_by_role("button", name="Cerrar sesión").click()
    page.get_by_role("button", name="Entrar").wait_for()

    # failures are throttled per user name: the third wrong try locks the name, even with the right password
    for _ in range(3):
        _sign_in(page, url, "adela", "mala-clave-123")
        page.get_by_text("Usuario o contraseña incorrectos").wait_for()
    _sign_in(page, url, "adela", "admin-clave-segura")
    page.get_by_text("Demasiados intentos fallidos", exact=False).wait_for()

    # once the lock has passed: the admin sees every page, the audit trail among them
    page.wait_for_timeout(9_000)
    _sign_in(page, url, "adela", "admin-clave-segura")
    page.get_by_text("Sesión: adela (admin)", exact=False).wait_for()
    nav = _nav(page)
    assert "Cargar datos" in nav and "Preguntar" in nav and "Auditoría" in nav
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Auditoría").click()
    page.get_by_role("heading", name="Auditoría").wait_for()
    page.get_by_role("button", name="Exportar CSV").wait_for()
    page.get_by_text("signin.failed", exact=False).first.wait_for(state="attached")  # grid cells: canvas

    # erase a person from the same page
    page.get_by_label("Texto, correo o id").fill(EMAIL)
    page.get_by_label("Texto, correo o id").press("Enter")
    page.get_by_text(f"Se borrarían {n_person}", exact=False).wait_for()
    page.get_by_role("button", name="Borrar definitivamente").click()
    page.get_by_text(f"{n_person} comentario(s) borrado(s)", exact=False).wait_for()
    page.screenshot(path=str(tmp_path / "admin.png"), full_page=True)

    # the server still holds the file: read what is left through a copy of it (the WAL holds the latest)
    import shutil

    copy = tmp_path / "after.duckdb"
    shutil.copyfile(db, copy)
    wal = db.with_name(db.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, copy.with_name(copy.name + ".wal"))
    con = duckdb.connect(str(copy))
    try:
        left = con.execute("SELECT count(*) FROM feedback WHERE strpos(text, ?) > 0", [EMAIL]).fetchall()
        assert left[0][0] == 0
        acts = [r[0] for r in con.execute("SELECT action FROM audit_log ORDER BY logged_at").fetchall()]
        assert {"signin.failed", "signin", "signin.throttled", "signout", "erase"} <= set(acts)
        detail = con.execute("SELECT CAST(detail AS VARCHAR), actor FROM audit_log "
                             "WHERE action = 'erase'").fetchall()
        assert detail[0][1] == "user:adela" and EMAIL not in detail[0][0]
        assert con.execute("SELECT count(*) FROM audit_log WHERE strpos(CAST(detail AS VARCHAR), ?) > 0",
                           ["vista-solo-lectura"]).fetchall()[0][0] == 0
    finally:
        con.close()
