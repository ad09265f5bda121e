"""Uploaded files: stored outside static/ under generated names, read back only through a view that checked
access. The original file name is kept in the database for the download, never used as a path."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, SessionTransaction

from planapp.core.uploads import safe_download_name
from planapp.extensions import db

__all__ = ["path_of", "safe_download_name", "save", "upload_root"]  # safe_download_name lives in uploads

_NAME = re.compile(r"^[0-9a-f]{32}$")


def upload_root() -> Path:
    root = Path(current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads")
    root.mkdir(parents=True, exist_ok=True)
    return root


def save(data: bytes) -> str:
    """Write the bytes under a new random name; return the name (32 hex characters).

    The file belongs to the session's transaction: if that transaction ends without a commit (a refusal rolled
    back, an error, a failed commit), the file is deleted again — no orphan that no row points to."""
    name = secrets.token_hex(16)
    path = upload_root() / name[:2] / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    db.session.info.setdefault(_UNCOMMITTED, []).append(path)
    return name


_UNCOMMITTED = "planapp.uncommitted_files"


@sa.event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop(_UNCOMMITTED, None)


@sa.event.listens_for(Session, "after_transaction_end")
def _delete_uncommitted_files(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction; a commit has already taken its files away
        for path in session.info.pop(_UNCOMMITTED, ()):
            path.unlink(missing_ok=True)


def path_of(name: str) -> Path:
    if not _NAME.match(name or ""):
        raise ValueError("not a stored file name")
    return upload_root() / name[:2] / name
