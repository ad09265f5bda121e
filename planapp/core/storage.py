"""Uploaded files: stored outside static/ under generated names, read back only through a view that checked
access. The original file name is kept in the database for the download, never used as a path."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from flask import current_app

from planapp.core.uploads import safe_download_name

__all__ = ["path_of", "safe_download_name", "save", "upload_root"]  # safe_download_name lives in uploads

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
