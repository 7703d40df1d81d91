"""Taking a file from landing: which files are settled, the private copy that is read (the bytes
hashed are the bytes parsed), and what leaves landing for the archive afterwards."""
from __future__ import annotations

import datetime as dt
import logging
import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ingest import config
from ingest.readers import native_csv
from ingest.files import safety

log = logging.getLogger(__name__)
ARCHIVE_UNSAFE_RE = re.compile(r"[\x00-\x1f\x7f\\]")


def waiting(landing: Path, settle: float | None = None) -> tuple[list[str], list[str]]:
    """(settled, unsettled) files in landing, oldest first, as paths relative to landing. A file
    is settled when its mtime is at least `settle` seconds old (config.settle_seconds): any
    write moves the mtime, so a file still being written stays for a later run. An mtime far in
    the future (a skewed clock) does not hold a file back."""
    if not landing.exists():
        return [], []
    settle = config.settle_seconds() if settle is None else settle
    now = time.time()
    files = []
    for p in landing.rglob("*"):
        if p.name.startswith((".", "~$")) or not (p.is_symlink() or p.is_file()):
            continue
        try:
            files.append((p.lstat().st_mtime_ns, p))
        except OSError:            # gone since it was listed
            continue
    files.sort(key=lambda f: (f[0], str(f[1])))
    settled, unsettled = [], []
    for mtime_ns, p in files:
        age = now - mtime_ns / 1e9
        (unsettled if 0 <= age < settle or -60 < age < 0 else settled).append(p.relative_to(landing).as_posix())
    return settled, unsettled


@dataclass
class Taken:
    """A landing file and the private copy of it that is parsed (safety.snapshot)."""
    landed: Path
    snap: safety.Snapshot


def snapshot_dir(paths: config.Paths) -> Path:
    """Where files are copied while they are read (cleared by clear_snapshots under the home lock)."""
    return paths.warehouse_dir / "reading"


def clear_snapshots(paths: config.Paths) -> None:
    """Remove copies a killed run left behind; only while holding the home lock (ingest.lock)."""
    shutil.rmtree(snapshot_dir(paths), ignore_errors=True)
    native_csv.clear_leftovers()


def shorten(name: str, limit: int) -> str:
    """`name` cut to `limit` UTF-8 bytes, its suffix kept: an archive name must fit the file
    system's 255 bytes after its time and hash prefix (decided before anything is committed)."""
    if len(name.encode("utf-8")) <= limit:
        return name
    suffix = Path(name).suffix if len(Path(name).suffix) <= 16 else ""
    stem = name[:len(name) - len(suffix)].encode("utf-8")[:limit - len(suffix.encode("utf-8")) - 1]
    return stem.decode("utf-8", errors="ignore") + "~" + suffix


def move(paths: config.Paths, source: Taken | Path | None, archived: str | None) -> None:
    """Into the archive: the private copy that was read (exactly the bytes hashed); the landing
    file leaves landing only if it is still the one that was read (a newer version written
    meanwhile stays for the next run). A bare path (a link refused for its name) is moved as is."""
    if source is None or archived is None:
        discard(source if isinstance(source, Taken) else None)
        return
    target = paths.home / archived
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        shutil.move(str(source), str(target))
        return
    shutil.move(str(source.snap.path), str(target))
    discard(source)
    if safety.unchanged(source.landed, source.snap.seen):
        source.landed.unlink()
    else:
        log.warning("%s changed after it was read: the new version stays in landing for the next run", archived)


def discard(taken: Taken | None) -> None:
    if taken is not None:
        shutil.rmtree(taken.snap.path.parent, ignore_errors=True)


def inside(rel: str) -> bool:
    return not rel.startswith("/") and ".." not in PurePosixPath(rel).parts


def movable(landing: Path, rel: str) -> Path | None:
    """A file refused for its name that may still go to the archive: one inside landing (a
    symlink is moved as a link, its target untouched). Paths that leave landing, or pass through
    a linked folder (moving them would move the folder's real file), stay put."""
    if not inside(rel):
        return None
    path = landing / rel
    if any((landing / PurePosixPath(*PurePosixPath(rel).parts[:i])).is_symlink()
           for i in range(1, len(PurePosixPath(rel).parts))):
        return None
    return path if path.is_symlink() or path.is_file() else None


def archive_path(paths: config.Paths, rel: str, received_at: dt.datetime, sha256: str) -> str:
    """Where the file goes once processed (nothing is deleted); personal numbers and control
    characters never reach the stored name."""
    safe = ARCHIVE_UNSAFE_RE.sub("_", safety.display_name(rel))
    parent = Path(safe).parent if ".." not in Path(safe).parts else Path("_unsafe")
    prefix = f"{received_at:%Y%m%dT%H%M%S%f}-{(sha256 or 'nohash')[:8]}-"
    name = prefix + shorten(Path(safe).name, safety.MAX_NAME_CHARS - len(prefix))
    return (paths.archive.relative_to(paths.home) / parent / name).as_posix()
