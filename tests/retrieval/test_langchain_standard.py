"""certprep's retriever adapter passes LangChain's own standard retriever tests (langchain-tests)."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import RetrieversIntegrationTests

from app.config import Settings
from app.retrieval.langchain_retriever import CertprepRetriever
from app.retrieval.service import KnowledgeRetriever

pytestmark = pytest.mark.slow


@cache
def _service() -> KnowledgeRetriever:
    """A real index of the shipped knowledge in a folder of its own (built once per test session)."""
    folder = Path(tempfile.mkdtemp(prefix="certprep-langchain-tests-"))
    return KnowledgeRetriever(Settings(data_dir=folder))


class TestCertprepRetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[CertprepRetriever]:
        return CertprepRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"core": _service(), "program": "cpt"}

    @property
    def retriever_query_example(self) -> str:
        return "Who can attest to my projects?"


def test_per_call_options_win_over_the_retrievers_own():
    retriever = CertprepRetriever(core=_service(), program="cpt", k=5)
    documents = retriever.invoke("How many paid hours do I need?", k=2, program="cpo", kinds=["faq"])
    assert len(documents) == 2
    assert {d.metadata["program"] for d in documents} == {"cpo"} and {d.metadata["kind"] for d in documents} == {"faq"}
    assert documents[0].id == documents[0].metadata["id"] and documents[0].metadata["score"] > 0
