"""Hostile-file guards that run before any parser: file names, sizes, zip bombs.

Everything here refuses with a FileRefused (a clear Chinese reason), never crashes the run.
"""
from __future__ import annotations

import hashlib
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ingest.rows import pii
from ingest.errors import FileRefused

MAX_FILE_BYTES = 512 * 1024 * 1024          # any submission
MAX_ZIP_MEMBERS = 2_000
MAX_INFLATED_BYTES = 1024 * 1024 * 1024     # all xml of one workbook, declared and actual
MAX_RATIO = 200                             # real sheets compress 5-30x; bombs 1000x
RATIO_FLOOR = 4 * 1024 * 1024               # ratios only matter for members above this size
MAX_NAME_CHARS = 255

_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class InFlight(Exception):
    """The file changed while it was read: still being written (not a refusal of its content)."""


@dataclass(frozen=True)
class Snapshot:
    """A private copy of a landing file, made in one reading that also hashed it: the bytes
    hashed are exactly the bytes parsed, whatever happens to the landing file meanwhile."""
    path: Path
    sha256: str
    size: int
    seen: tuple[int, int, int]       # (inode, size, mtime_ns) of the landing file when read


def snapshot(source: Path, into: Path, label: str) -> Snapshot:
    """Copy `source` into the folder `into` (same name), hashing while reading. Its size is
    checked first, from the open file, so an oversized file is refused before a byte is read.
    Raises InFlight when the file's size or mtime moved during the reading."""
    fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(fd, "rb") as f:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise FileRefused("not_regular_file", "不是普通文件,已拒收", file=label)
        check_size(source, label, before.st_size)
        into.mkdir(parents=True, exist_ok=True)
        target, h, copied = into / source.name, hashlib.sha256(), 0
        with open(target, "xb") as out:
            while block := f.read(1 << 20):
                h.update(block)
                out.write(block)
                copied += len(block)
        after = os.fstat(fd)
    if copied != before.st_size or (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns):
        target.unlink()
        raise InFlight(label)
    return Snapshot(target, h.hexdigest(), copied, (before.st_ino, before.st_size, before.st_mtime_ns))


def unchanged(source: Path, seen: tuple[int, int, int]) -> bool:
    """The landing file is still the one that was read (same inode, size and mtime)."""
    try:
        st = os.lstat(source)
    except OSError:
        return False
    return (st.st_ino, st.st_size, st.st_mtime_ns) == seen


def display_name(rel: str) -> str:
    """A landing path fit to store and show: control characters made visible, personal
    numbers masked (a file named after a volunteer must not leak into any table)."""
    text = _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", rel)
    return pii.redact(text)


def check_name(rel: str, landing: Path) -> Path:
    """The file under landing named by `rel`, or a refusal for names that escape landing,
    carry control characters or personal numbers."""
    parts = PurePosixPath(rel).parts
    if rel.startswith("/") or ".." in parts or "\\" in rel or not parts:
        raise FileRefused("unsafe_file_name", "文件路径含有“..”或绝对路径,可能越出接收目录,已拒收", file=display_name(rel))
    if _CONTROL_RE.search(rel):
        raise FileRefused("unsafe_file_name", "文件名含有控制字符或不可见字符,请重命名后重新提交", file=display_name(rel))
    if any(len(p.encode("utf-8")) > MAX_NAME_CHARS for p in parts):
        raise FileRefused("unsafe_file_name", "文件名过长,请改短后重新提交", file=display_name(rel))
    if pii.PATTERN.search(rel):
        raise FileRefused("personal_data_in_name", "文件名中含有身份证号或手机号码,请去掉个人信息后重新提交",
                          file=display_name(rel))
    source = landing / rel
    try:
        resolved = source.resolve(strict=True)
    except (OSError, RuntimeError):
        raise FileRefused("missing_file", "文件不存在或无法读取", file=display_name(rel)) from None
    if not resolved.is_relative_to(landing.resolve()) or not resolved.is_file():
        raise FileRefused("unsafe_file_name", "文件是指向接收目录之外的链接或不是普通文件,已拒收", file=display_name(rel))
    _regular(landing, parts, display_name(rel))
    return source


def _regular(landing: Path, parts: tuple[str, ...], label: str) -> None:
    """Only a regular file, reached through real folders, is a submission: a link (even to
    another department's file inside landing) would file someone else's data under this path."""
    here = landing
    for i, part in enumerate(parts):
        here = here / part
        mode = here.lstat().st_mode
        if stat.S_ISLNK(mode):
            raise FileRefused("not_regular_file", "文件或其所在文件夹是链接(快捷方式),不是直接放入接收目录的文件,"
                              "已拒收;请把文件本身放入本单位的文件夹后重新提交", file=label)
        if i == len(parts) - 1 and not stat.S_ISREG(mode):
            raise FileRefused("not_regular_file", "不是普通文件,已拒收", file=label)


def check_size(path: Path, label: str, size: int | None = None) -> int:
    size = path.stat().st_size if size is None else size
    if size == 0:
        raise FileRefused("empty_file", "文件为空(0 字节),请检查后重新提交", file=label)
    if size > MAX_FILE_BYTES:
        raise FileRefused("file_too_large", f"文件超过 {MAX_FILE_BYTES // 2**20} MB,请按月或按单位拆分后提交", file=label)
    return size


def check_zip(path: Path, label: str) -> None:
    """Refuse a workbook package that is truncated, corrupt, or would inflate beyond limits.
    Declared sizes and ratios are checked first; then every member is inflated in a stream,
    counting, so a member that lies about its size is caught before any parser trusts it."""
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
            _check_declared(members, label)
            with open(path, "rb") as f:
                for info in members:
                    _check_actual(f, info, label)
    except zipfile.BadZipFile as exc:
        raise FileRefused("unreadable_xlsx", f"Excel 文件不完整或已损坏({exc}),请重新保存后提交", file=label) from None
    except (OSError, EOFError, struct.error, zlib.error) as exc:
        raise FileRefused("unreadable_xlsx", f"Excel 文件不完整或已损坏({exc}),请重新保存后提交", file=label) from None


def _bomb(label: str, detail: str) -> FileRefused:
    return FileRefused("zip_bomb", f"Excel 文件解压后异常巨大({detail}),疑似压缩炸弹,已拒收", file=label)


def _check_declared(members: list[zipfile.ZipInfo], label: str) -> None:
    if len(members) > MAX_ZIP_MEMBERS:
        raise _bomb(label, f"含 {len(members)} 个内部文件")
    total = sum(m.file_size for m in members)
    if total > MAX_INFLATED_BYTES:
        raise _bomb(label, f"声明解压大小 {total / 2**20:,.0f} MB")
    for m in members:
        if m.file_size > RATIO_FLOOR and m.file_size > MAX_RATIO * max(m.compress_size, 1):
            raise _bomb(label, f"{m.filename} 压缩比 {m.file_size // max(m.compress_size, 1)}:1")
        if m.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileRefused("unreadable_xlsx", f"Excel 文件使用了不支持的压缩方式({m.compress_type})", file=label)
        if m.flag_bits & 0x1:
            raise FileRefused("encrypted_file", "Excel 文件已加密,请取消密码后重新提交", file=label)


def _check_actual(f, info: zipfile.ZipInfo, label: str) -> None:
    """Inflate one member without keeping it, stopping as soon as it exceeds its declared size."""
    f.seek(info.header_offset)
    fields = _LOCAL_HEADER.unpack(f.read(_LOCAL_HEADER.size))
    if fields[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local header for {info.filename}")
    f.seek(fields[-2] + fields[-1], 1)   # name + extra
    left, produced, crc = info.compress_size, 0, 0
    inflater = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    while left > 0:
        block = f.read(min(left, 1 << 20))
        if not block:
            raise zipfile.BadZipFile(f"{info.filename} is truncated")
        left -= len(block)
        while block:
            out = inflater.decompress(block, 1 << 22) if inflater else block
            produced += len(out)
            crc = zlib.crc32(out, crc)
            if produced > info.file_size:
                raise _bomb(label, f"{info.filename} 实际解压超过声明的 {info.file_size:,} 字节")
            block = inflater.unconsumed_tail if inflater else b""
    if inflater is not None and not inflater.eof:
        raise zipfile.BadZipFile(f"{info.filename} is truncated")
    if produced != info.file_size or crc != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename}: size or checksum mismatch")
