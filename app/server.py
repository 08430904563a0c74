"""The web server: Streamlit's pages plus ``/ready``, with the model and index loading from the start.

``streamlit run app/server.py`` finds the ``app`` below and serves it (Streamlit's ASGI mode); the
pages themselves are ``streamlit_app.py``. ``/_stcore/health`` says the server is up, ``/ready`` whether
the model and index are loaded (503 with the current step until then); ``/account/login`` and
``/account/logout`` sign in and out in organization mode (``app.signin``).
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import streamlit as st
from starlette.responses import JSONResponse
from starlette.routing import Route

from app import signin, warmup


@asynccontextmanager
async def _lifespan(_app):
    warmup.start()
    yield


async def _ready(_request) -> JSONResponse:
    state = warmup.state()
    return JSONResponse(state.model_dump(), status_code=200 if state.ready else 503)


app = st.App(
    Path(__file__).with_name("streamlit_app.py"), lifespan=_lifespan, routes=[Route("/ready", _ready), *signin.ROUTES]
)
