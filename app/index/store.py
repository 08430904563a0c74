"""The Chroma store: embedded (PersistentClient) by default, a Chroma server by configuration.

The collection records which model made its vectors; opening it with a different model is an error
that tells the user to rebuild, because mixing vector spaces silently returns nonsense.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from app.config import ChromaMode, Settings
from app.embeddings import Embedder

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

EF_NAME = "certprep_sentence_transformer"


class IndexMismatchError(RuntimeError):
    """The stored vectors were made by another model or dimension."""


class StoreUnavailableError(RuntimeError):
    """The configured Chroma server cannot be reached."""


def _embedding_function(embedder: Embedder) -> Any:
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

    class CertprepEmbeddingFunction(EmbeddingFunction[Documents]):
        """Our model as Chroma's embedding function: Chroma's default one would download a model."""

        def __init__(self, wrapped: Embedder):
            self._embedder = wrapped

        def __call__(self, input: Documents) -> Embeddings:
            import numpy as np

            return [np.asarray(v, dtype=np.float32) for v in self._embedder.embed(list(input))]

        @staticmethod
        def name() -> str:
            return EF_NAME

        def default_space(self) -> str:  # type: ignore[override]
            return "cosine"

        def get_config(self) -> dict[str, Any]:
            return {"model_id": self._embedder.model_id}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> CertprepEmbeddingFunction:
            from app.embeddings import get_embedder

            return CertprepEmbeddingFunction(get_embedder())

        def is_legacy(self) -> bool:
            return False

    return CertprepEmbeddingFunction(embedder)


def make_client(settings: Settings) -> ClientAPI:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_mode is ChromaMode.server:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        try:
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        except Exception as exc:
            raise StoreUnavailableError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}. "
                "Start it, or unset CERTPREP_CHROMA_MODE to use the embedded store."
            ) from exc
    settings.chroma_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.chroma_dir), settings=chroma_settings)


@contextlib.contextmanager
def open_client(settings: Settings) -> Iterator[ClientAPI]:
    """A client for one job, closed after it (Chroma's ``close()``): the store's resources are released
    when the last client of this process lets go of them."""
    client = make_client(settings)
    try:
        yield client
    finally:
        close_client(client)


def close_client(client: ClientAPI | None) -> None:
    if client is not None:
        with contextlib.suppress(Exception):  # a broken store may not close cleanly; it is discarded anyway
            client.close()


def forget_local_stores() -> None:
    """Make the next client open a rebuilt store folder afresh: Chroma keeps one system per path for the
    life of the process, even after the folder is replaced. ``clear_system_cache()`` is Chroma's public way
    and drops every cached system of this process; clients already open keep the system they hold, so only
    the recovery from a broken index, which has just closed its own clients, calls it."""
    from chromadb.api.client import Client

    Client.clear_system_cache()


def expected_metadata(embedder: Embedder) -> dict[str, Any]:
    return {"hnsw:space": "cosine", "model_id": embedder.model_id, "dimension": embedder.dimension}


def open_collection(client: ClientAPI, name: str, embedder: Embedder, create: bool = True) -> Collection | None:
    """Open (or create) the collection and check it was built by this model.

    Returns None when it does not exist and ``create`` is false.
    """
    existing = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
    if name not in existing:
        if not create:
            return None
        return client.create_collection(
            name=name, metadata=expected_metadata(embedder), embedding_function=_embedding_function(embedder)
        )
    try:
        collection = client.get_collection(name=name, embedding_function=_embedding_function(embedder))
    except ValueError as exc:
        raise IndexMismatchError(
            f"the index {name!r} was built with another embedding function ({exc}); run `certprep ingest --rebuild`"
        ) from exc
    check_collection(collection, embedder)
    return collection


def check_collection(collection: Collection, embedder: Embedder) -> None:
    meta = collection.metadata or {}
    model_id, dimension = meta.get("model_id"), meta.get("dimension")
    if model_id != embedder.model_id or dimension != embedder.dimension:
        raise IndexMismatchError(
            f"the index was built with model {model_id!r} ({dimension} dimensions) but certprep is "
            f"configured for {embedder.model_id!r} ({embedder.dimension} dimensions); "
            "run `certprep ingest --rebuild`"
        )


def drop_collection(client: ClientAPI, name: str) -> None:
    existing = {c.name if hasattr(c, "name") else c for c in client.list_collections()}
    if name in existing:
        client.delete_collection(name)
