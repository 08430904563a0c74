"""AppTest fixtures: the real model, the real index and a real database, built once per module."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from app.config import REPO_ROOT, Settings, get_settings
from app.storage import Storage

PAGES = REPO_ROOT / "app" / "ui" / "pages"
TIMEOUT = 180


@pytest.fixture(scope="module")
def ui_data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("ui-data")


@pytest.fixture
def ui_settings(monkeypatch, ui_data_dir) -> Settings:
    monkeypatch.setenv("CERTPREP_DATA_DIR", str(ui_data_dir))
    get_settings.cache_clear()
    return get_settings()


@pytest.fixture
def db(ui_settings) -> Storage:
    return Storage(ui_settings.database_path)


def page(name: str, **query) -> AppTest:
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = str(value)
    return at.run()


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.exception] + [e.value for e in at.error]


def frame(at: AppTest, column: str):
    """The first dataframe or table on the page with this column (or index name)."""
    for element in [*at.dataframe, *at.table]:
        value = element.value
        if value.index.name:  # a table's first column is its index
            value = value.reset_index()
        if column in value.columns:
            return value
    raise AssertionError(f"no dataframe with a {column!r} column")
