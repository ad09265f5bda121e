"""Uploaded files: stored outside static/ under generated names, read back only through a view that checked
access. The original file name is kept in the database for the download, never used as a path."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app

_NAME = re.compile(r"^[0-9a-f]{32}$")


def upload_root() -> Path:
    root = Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")
    root.mkdir(parents=True, exist_ok=True)
    return root


def save(data: bytes) -> str:
    """Write the bytes under a new random name; return the name (32 hex characters)."""
    name = secrets.token_hex(16)
    path = upload_root() / name[:2] / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    return name


def path_of(name: str) -> Path:
    if not _NAME.match(name or ""):
        raise ValueError("not a stored file name")
    return upload_root() / name[:2] / name


def safe_download_name(original: str, fallback: str) -> str:
    """The original name without folders or control characters (Werkzeug quotes it in the header)."""
    name = Path(original.replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return name.strip(". ") or fallback
