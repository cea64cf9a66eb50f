"""Sign-in and roles in the dashboard (analysis.signin decides; this draws and remembers per session).

With SABOR_AUTH off (make run on 127.0.0.1) the person at the machine is the administrator, recorded as
`panel` in the audit trail. With it on, nothing but the sign-in page runs until a user signs in with a
password (`sabor user add`) or through the identity provider configured in `.streamlit/secrets.toml`
`[auth]` (Streamlit's st.login, OIDC). Pages and buttons a role may not use are not drawn, and `require`
refuses again right before the action, so a stale page or a crafted rerun cannot do it either.
"""
from __future__ import annotations

import os

import streamlit as st

from analysis import access, signin
from dashboard.common import get_store, tr

_USER = "_sabor_user"      # session_state: {"name", "role", "via"}
_SID = "_sabor_signin_sid"


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        return False


def current_user() -> dict | None:
    if not signin.auth_enabled():
        return {"name": "panel", "role": "admin", "via": "local"}
    user = st.session_state.get(_USER)
    if user:
        return user
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        email = st.user.get("email")
        role = signin.oidc_role(get_store(), email)
        if role:
            user = {"name": email, "role": role, "via": "oidc"}
            st.session_state[_USER] = user
            from analysis.store import audit

            audit(get_store(), f"user:{email}", "signin", {"username": email, "role": role, "via": "oidc"})
            return user
    return None


def role() -> str | None:
    u = current_user()
    return u["role"] if u else None


def actor() -> str:
    """Who acts, for the audit trail."""
    u = current_user()
    if not u:
        return "anonymous"
    return "panel" if u["via"] == "local" else f"user:{u['name']}"


def can(action: str) -> bool:
    return access.allowed(role(), action)


def require(action: str) -> None:
    """Stop the script unless the signed-in role may do `action` (the check behind every control)."""
    if not can(action):
        roles = ", ".join(access.roles_for(action))
        st.error(tr(f"Su rol no permite esta acción (hace falta: {roles}).",
                    f"Your role may not do this (it needs: {roles})."))
        st.stop()


def login_view() -> None:
    """The sign-in page: the only page while nobody is signed in."""
    store = get_store()
    signin.bootstrap_admin(store)
    st.title(tr("Iniciar sesión", "Sign in"))
    st.caption(tr("Sabor: preferencias de sabor del consumidor peruano",
                  "Sabor: Peruvian consumer taste preferences"))
    sid = st.session_state.setdefault(_SID, os.urandom(12).hex())
    with st.sidebar:
        st.radio("Idioma / Language", ["es", "en"], horizontal=True, key="lang",
                 format_func=lambda v: "Español" if v == "es" else "English")
    with st.form("signin", clear_on_submit=False):
        name = st.text_input(tr("Usuario", "User name"), key="signin_user", max_chars=64)
        pw = st.text_input(tr("Contraseña", "Password"), type="password", key="signin_pw", max_chars=256)
        go = st.form_submit_button(tr("Entrar", "Sign in"), type="primary")
    if go:
        attempt = signin.sign_in(store, name, pw, sid)
        if attempt.role:
            st.session_state[_USER] = {"name": name.strip(), "role": attempt.role, "via": "password"}
            st.session_state.pop("signin_pw", None)
            st.rerun()
        elif attempt.wait_s:
            st.error(tr(f"Demasiados intentos fallidos: espere {attempt.wait_s:.0f} s antes de reintentar.",
                        f"Too many failed attempts: wait {attempt.wait_s:.0f} s before trying again."))
        else:
            st.error(tr("Usuario o contraseña incorrectos.", "Wrong user name or password."))
    if _oidc_configured():
        st.divider()
        if st.button(tr("Entrar con la cuenta de la empresa", "Sign in with the company account"),
                     key="signin_oidc"):
            st.login()
        if getattr(st.user, "is_logged_in", False) and current_user() is None:
            st.warning(tr(f"La cuenta {st.user.get('email')} no tiene acceso a Sabor: pida a un "
                          "administrador que la añada (`sabor user add CORREO --role viewer`).",
                          f"The account {st.user.get('email')} has no access to Sabor: ask an administrator "
                          "to add it (`sabor user add EMAIL --role viewer`)."))


def sidebar_user() -> None:
    """Who is signed in, and the sign-out button (nothing when sign-in is off)."""
    u = current_user()
    if not u or u["via"] == "local":
        return
    st.caption(tr(f"Sesión: **{u['name']}** ({u['role']})", f"Signed in: **{u['name']}** ({u['role']})"))
    if st.button(tr("Cerrar sesión", "Sign out"), key="signout"):
        from analysis.store import audit

        audit(get_store(), actor(), "signout", {"username": u["name"]})
        st.session_state.pop(_USER, None)
        if u["via"] == "oidc":
            st.logout()
        st.rerun()
