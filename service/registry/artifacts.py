"""Immutable, content-addressed model artifacts under ``settings.model_dir``."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

REGISTRY_SUBDIR = "registry"
_CHUNK = 1 << 20


class ArtifactError(Exception):
    """An artifact is missing, altered, or not a loadable model."""


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_name(sha256: str, suffix: str = ".skops") -> str:
    """The registry's name for an artifact: its content hash, relative to the model directory."""
    return f"{REGISTRY_SUBDIR}/sha256-{sha256}{suffix}"


def store_artifact(source: Path, model_dir: Path) -> tuple[str, str]:
    """Copy ``source`` into the registry once; returns (relative name, sha256).

    The copy is written beside its final name, flushed to disk, made read-only and renamed,
    so a reader never sees half a file; an existing copy with the same hash is reused.
    """
    sha256 = sha256_file(source)
    name = artifact_name(sha256, source.suffix or ".skops")
    target = model_dir / name
    if target.exists() and sha256_file(target) == sha256:
        return name, sha256
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if sha256_file(Path(tmp)) != sha256:
            raise ArtifactError(f"{source} changed while it was being registered")
        os.chmod(tmp, 0o444)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return name, sha256


def verified_path(model_dir: Path, name: str, sha256: str) -> Path:
    """The artifact's path once its bytes match the registered hash; ArtifactError otherwise."""
    path = Path(name) if Path(name).is_absolute() else model_dir / name
    if not path.is_file():
        raise ArtifactError(f"artifact {name} is missing from {model_dir}")
    actual = sha256_file(path)
    if actual != sha256:
        raise ArtifactError(
            f"artifact {name} was altered: sha256 {actual[:12]}… is not the registered "
            f"{sha256[:12]}…"
        )
    return path
