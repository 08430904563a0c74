"""The hybrid retriever behind LangChain's retriever interface, for the chat chain."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from app.retrieval.hybrid import KnowledgeRetriever, Mode


class CertprepRetriever(BaseRetriever):
    """``retriever.invoke("question")`` returns Documents whose metadata carry id, score and provenance."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    core: Any  # KnowledgeRetriever; typed loosely so pydantic does not try to validate it
    program: str | None = None
    kinds: list[str] | None = None
    k: int = 5
    mode: Mode = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
        core: KnowledgeRetriever = self.core
        hits = core.search(query, program=self.program, kinds=self.kinds, k=self.k, mode=self.mode)
        return [
            Document(page_content=hit.text, metadata={**hit.metadata, "id": hit.id, "score": hit.score}) for hit in hits
        ]
