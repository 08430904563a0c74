"""The retrieval service behind LangChain's retriever interface: for LangChain code and the assistant.

``retriever.invoke("question", k=1, program="cpo", kinds=["faq"])``: every search option can be set on the
retriever or per call; a per-call value wins. Passes LangChain's standard retriever tests
(``tests/retrieval/test_langchain_standard.py``).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from app.retrieval.service import Hit, KnowledgeRetriever, Mode


def to_document(hit: Hit) -> Document:
    return Document(page_content=hit.text, id=hit.id, metadata={**hit.metadata, "id": hit.id, "score": hit.score})


def to_hit(document: Document) -> Hit:
    metadata = {k: v for k, v in document.metadata.items() if k not in {"id", "score"}}
    meta = document.metadata
    return Hit(id=meta["id"], text=document.page_content, score=meta["score"], metadata=metadata)


class CertprepRetriever(BaseRetriever):
    """Documents whose metadata carry id, score and provenance (source keys, confidence, note)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    core: Any = Field(description="The KnowledgeRetriever; typed loosely so pydantic does not validate it.")
    program: str | None = None
    kinds: list[str] | None = None
    k: int = Field(default=5, ge=1)
    mode: Mode = "hybrid"
    floor: float | None = Field(default=None, description="Relevance floor; default: the settings' floor.")

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        program: str | None = None,
        kinds: list[str] | None = None,
        mode: Mode | None = None,
        floor: float | None = None,
    ) -> list[Document]:
        core: KnowledgeRetriever = self.core
        hits = core.search(
            query,
            program=program or self.program,
            kinds=kinds or self.kinds,
            k=k or self.k,
            mode=mode or self.mode,
            floor=self.floor if floor is None else floor,
        )
        return [to_document(hit) for hit in hits]
