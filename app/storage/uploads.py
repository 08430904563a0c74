"""Uploaded files kept under the data directory. A file's name comes from the user's browser, so it is
reduced to a plain base name: nothing a user uploads can land outside its folder."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from app.storage.database import StorageError

_UNSAFE = re.compile(r"[^A-Za-z0-9._ -]+")
MAX_NAME = 120


def safe_name(name: str) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    base = base.lstrip(".-") or "upload"
    if len(base) > MAX_NAME:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: MAX_NAME - len(suffix) - 1] + dot + suffix) if dot and len(suffix) < 10 else base[:MAX_NAME]
    return base


def new_upload_folder(uploads_dir: Path, label: str) -> Path:
    folder = Path(uploads_dir) / f"{safe_name(label)}-{uuid.uuid4().hex[:12]}"
    folder.mkdir(parents=True, exist_ok=False)
    return folder


def save_upload(folder: Path, name: str, data: bytes) -> Path:
    folder = Path(folder).resolve()
    target = (folder / safe_name(name)).resolve()
    if target.parent != folder:
        raise StorageError(f"{name!r}: not a usable file name")
    target.write_bytes(data)
    return target
