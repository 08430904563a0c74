"""The optional LLM: a LangChain chat model chosen by configuration (``ollama:MODEL`` or ``openai:MODEL``
with a base URL for any OpenAI-compatible server). It only rephrases material that was retrieved; the
caller validates its citations and falls back to the offline answer."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import yaml

from app.config import Settings
from app.retrieval.answer import Citation

LLM_MAX_TOKENS = 300


class LLMUnavailable(RuntimeError):
    """The configured LLM cannot be used (extra not installed, server unreachable)."""


def provider(settings: Settings) -> tuple[str, str] | None:
    if settings.llm == "none":
        return None
    name, _, model = settings.llm.partition(":")
    return name, model


def is_remote(settings: Settings) -> bool:
    """Whether text would leave the machine: any provider whose server is not on a loopback address."""
    chosen = provider(settings)
    if chosen is None:
        return False
    url = settings.llm_base_url or ("http://127.0.0.1:11434" if chosen[0] == "ollama" else "https://api.openai.com")
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:
        return True


def should_redact(settings: Settings) -> bool:
    return settings.redact if settings.redact is not None else is_remote(settings)


def chat_model(settings: Settings):
    chosen = provider(settings)
    if chosen is None:
        raise LLMUnavailable("no LLM configured")
    name, model = chosen
    try:
        if name == "ollama":
            from langchain_ollama import ChatOllama

            return ChatOllama(
                model=model,
                base_url=settings.llm_base_url or "http://127.0.0.1:11434",
                temperature=0,
                num_predict=LLM_MAX_TOKENS,
            )
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=model,
            base_url=settings.llm_base_url,
            api_key=os.environ.get("OPENAI_API_KEY") or "not-needed",  # only from the environment
            temperature=0,
            max_tokens=LLM_MAX_TOKENS,
            # OpenAI-compatible servers such as llama.cpp read the classic field, not max_completion_tokens
            extra_body={"max_tokens": LLM_MAX_TOKENS},
            timeout=120,
            max_retries=0,
        )
    except ImportError as exc:
        raise LLMUnavailable(f"the LLM provider {name!r} needs the [llm] extra: pip install 'certprep[llm]'") from exc


@lru_cache(maxsize=4)
def _prompt_texts(prompts_dir: Path) -> dict[str, str]:
    return yaml.safe_load((Path(prompts_dir) / "chat_llm.yaml").read_text(encoding="utf-8"))


def prompt(prompts_dir: Path):
    from langchain_core.prompts import ChatPromptTemplate

    texts = _prompt_texts(Path(prompts_dir))
    return ChatPromptTemplate.from_messages([("system", texts["system"]), ("human", texts["user"])])


def stream_answer(
    settings: Settings,
    role: str,
    question: str,
    citations: list[Citation],
    engine: list[str],
    draft: str,
) -> Iterator[str]:
    texts = _prompt_texts(Path(settings.prompts_dir))
    passages = "\n".join(f"[{n}] {c.title}: {c.text}" for n, c in enumerate(citations, 1)) or "(none)"
    chain = prompt(settings.prompts_dir) | chat_model(settings)
    values = {
        "role_instructions": texts.get(f"role_{role}", ""),
        "passages": passages,
        "engine": "\n".join(engine) or "(none)",
        "question": question,
        "draft": draft,
    }
    try:
        for chunk in chain.stream(values):
            content = getattr(chunk, "content", "")
            if isinstance(content, str) and content:
                yield content
    except LLMUnavailable:
        raise
    except Exception as exc:  # network errors, server errors: the offline answer takes over
        raise LLMUnavailable(f"the LLM did not answer ({type(exc).__name__})") from exc
