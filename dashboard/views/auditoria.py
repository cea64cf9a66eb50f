"""Auditoría (admin): who loaded, asked, analysed, erased or changed what and when, with a CSV export; and
the dashboard's users (add, change role or password, remove), the same as `sabor user`."""
from __future__ import annotations

import json

import streamlit as st

from analysis.access import ROLES
from analysis.store import audit_count, audit_entries
from analysis.store.erasure import EraseError, erase, find
from analysis.store.users import add_user, list_users, remove_user, set_password
from dashboard import auth
from dashboard.common import csv_download, get_store, page_header, tr

auth.require("audit")
page_header("Auditoría", "Audit trail",
            "Quién cargó qué archivo (hash, filas), quién preguntó qué (pregunta, SQL, motor), quién borró, "
            "entrenó o cambió usuarios, y cuándo. Los borrados de personas se registran sin el texto.",
            "Who loaded which file (hash, rows), who asked what (question, SQL, backend), who deleted, "
            "trained or changed users, and when. Erasures are recorded without the erased text.")
store = get_store()

ACTIONS = ["feedback.upload", "market.upload", "ask", "analyze.start", "topics.fit", "upload.delete",
           "erase", "model.train", "user.add", "user.passwd", "user.remove", "signin", "signin.failed",
           "signin.throttled", "token.create", "token.revoke"]
c1, c2 = st.columns([2, 1])
action = c1.selectbox(tr("Acción", "Action"), [""] + ACTIONS, key="audit_action",
                      format_func=lambda v: v or tr("todas", "all"))
limit = c2.number_input(tr("Filas", "Rows"), 10, 10_000, 500, 10, key="audit_limit")
df = audit_entries(store, limit=int(limit), action=action or None)
st.caption(tr(f"{audit_count(store, action or None):,} entradas en total; se muestran las {len(df):,} "
              "más recientes.",
              f"{audit_count(store, action or None):,} entries in all; the newest {len(df):,} shown."))
if df.empty:
    st.info(tr("La auditoría está vacía.", "The audit trail is empty."))
else:
    st.dataframe(df, hide_index=True, width="stretch", key="audit_table",
                 column_config={"detail": st.column_config.TextColumn(width="large")})
    csv_download(df, "sabor_auditoria.csv", label=tr("Exportar CSV", "Export CSV"), key="dl_audit")
    with st.expander(tr("Ver el detalle de una entrada", "See one entry's detail")):
        i = st.number_input(tr("Fila", "Row"), 0, len(df) - 1, 0, key="audit_row")
        st.json(json.loads(df["detail"].iloc[int(i)] or "{}"))

st.subheader(tr("Usuarios del panel", "Dashboard users"))
users = list_users(store)
if users.empty:
    st.caption(tr("Sin usuarios.", "No users."))
else:
    st.dataframe(users, hide_index=True, width="stretch", key="users_table")
with st.form("user_add", clear_on_submit=True):
    st.write(tr("**Añadir un usuario o cambiar su contraseña y rol**",
                "**Add a user or change a password and role**"))
    u1, u2, u3 = st.columns(3)
    name = u1.text_input(tr("Usuario", "User name"), key="ua_name", max_chars=64)
    role = u2.selectbox(tr("Rol", "Role"), list(ROLES), key="ua_role")
    pw = u3.text_input(tr("Contraseña (10 caracteres o más)", "Password (10 characters or more)"),
                       type="password", key="ua_pw", max_chars=256)
    save = st.form_submit_button(tr("Guardar usuario", "Save user"))
if save:
    auth.require("users")
    try:
        if name.strip() in set(users.get("username", [])):
            set_password(store, name.strip(), pw, actor=auth.actor(), role=role)
        else:
            add_user(store, name.strip(), role, pw, actor=auth.actor())
    except ValueError as e:
        st.error(str(e))
    else:
        st.rerun()
if not users.empty:
    r1, r2 = st.columns([2, 1])
    gone = r1.selectbox(tr("Eliminar un usuario", "Remove a user"), list(users["username"]), key="ur_name")
    me = (auth.current_user() or {}).get("name")
    if r2.button(tr("Eliminar", "Remove"), key="ur_go", disabled=gone == me):
        auth.require("users")
        remove_user(store, gone, actor=auth.actor())
        st.rerun()

st.subheader(tr("Borrar los datos de una persona", "Erase a person's data"))
st.caption(tr("Sus comentarios y todo lo derivado (predicciones, menciones, temas, vectores), las filas "
              "rechazadas y las citas en alertas que los contengan. Igual que `sabor erase`.",
              "Their comments and everything derived (predictions, mentions, topics, vectors), rejected rows "
              "and alert quotes holding them. Same as `sabor erase`."))
e1, e2 = st.columns([2, 1])
by = e2.selectbox(tr("Buscar por", "Find by"), ["match", "source_id", "feedback_id"], key="er_by",
                  format_func=lambda v: {"match": tr("texto o correo", "text or e-mail"),
                                         "source_id": tr("id de origen", "source id"),
                                         "feedback_id": tr("id en Sabor", "Sabor id")}[v])
needle = e1.text_input(tr("Texto, correo o id", "Text, e-mail or id"), key="er_value", max_chars=500)
if needle.strip():
    auth.require("erase")
    try:
        found = find(store, **{by: needle})
    except EraseError as e:
        st.error(str(e))
    else:
        st.write(tr(f"Se borrarían **{found['comments']:,}** comentarios.",
                    f"**{found['comments']:,}** comments would be erased."))
        if found["comments"] and st.button(tr("Borrar definitivamente", "Erase for good"), type="primary",
                                           key="er_go"):
            auth.require("erase")
            done = erase(store, **{by: needle}, actor=auth.actor())
            st.cache_data.clear()
            st.session_state["er_done"] = done["comments"]
            st.session_state.pop("er_value", None)
            st.rerun()
if "er_done" in st.session_state:
    n = st.session_state.pop("er_done")
    st.success(tr(f"{n:,} comentario(s) borrado(s) con todo lo derivado; registrado en la auditoría sin el "
                  "texto.",
                  f"{n:,} comments erased with everything derived; recorded in the audit trail without the "
                  "text."))
