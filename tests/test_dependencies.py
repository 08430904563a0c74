"""Every direct dependency in pyproject.toml is used: imported by the product or its evaluation, or named
below with the reason it is needed without an import. A dependency nobody uses is an install and an attack
surface for nothing (langchain-huggingface and langchain-text-splitters were, until issue 21's review)."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import tomllib

from app.config import REPO_ROOT

NOT_IMPORTED = {
    "authlib": "Streamlit's st.login (single sign-on) needs it and imports it itself",
    "python-multipart": "Starlette parses the form of POST /v1/token with it",
    "psycopg": "SQLAlchemy's postgresql+psycopg dialect imports it when CERTPREP_DATABASE_URL names PostgreSQL",
    "onnx": "torch.onnx.export and ONNX Runtime's optimiser and quantiser write graphs with it (app/inference)",
}


def _imported_distributions() -> set[str]:
    modules: set[str] = set()
    for folder in ("app", "evaluation"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    modules |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    modules.add(node.module.split(".")[0])
    by_module = importlib.metadata.packages_distributions()
    return {dist.lower() for module in modules for dist in by_module.get(module, [])}


def test_every_declared_dependency_is_used():
    with open(REPO_ROOT / "pyproject.toml", "rb") as handle:
        declared = tomllib.load(handle)["project"]["dependencies"]
    names = {re.split(r"[<>=\[ ;]", spec)[0].lower() for spec in declared}
    unused = names - _imported_distributions() - set(NOT_IMPORTED)
    assert not unused, f"declared in pyproject.toml but imported nowhere: {sorted(unused)}"


def test_the_product_never_imports_its_evaluation():
    """Evaluation imports the product, not the reverse: certprep runs without evaluation/ installed."""
    offenders = []
    for path in (REPO_ROOT / "app").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            offenders += [f"{path.relative_to(REPO_ROOT)}: {n}" for n in names if n.split(".")[0] == "evaluation"]
    assert offenders == []
