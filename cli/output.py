"""Output files of the command line (``--out`` and the like): checked before the work starts, written whole.

``check_out`` refuses, before a long run, a path that cannot become the output: a directory, a parent that is
missing or is a file, a read-only place. ``write_out`` writes a regular file through a temporary file in the same
directory and renames it (a reader never sees half a file; an old file is left as it was on failure); a device
or a pipe (``/dev/stdout``, ``/dev/full``) is written directly. Both raise ``OutError`` with a Chinese message;
the commands print it and exit with status 2 (refused before starting) or 1 (the write failed).
"""
from __future__ import annotations

import errno
import sys
import os
import stat
import tempfile
from pathlib import Path

REASONS = {
    errno.ENOSPC: "磁盘空间不足或设备已满",
    errno.EDQUOT: "超出磁盘配额",
    errno.EROFS: "只读文件系统",
    errno.EACCES: "没有写入权限",
    errno.EPERM: "不允许写入",
    errno.EISDIR: "这是一个目录",
    errno.ENOENT: "所在目录不存在",
    errno.ENOTDIR: "路径中有一段不是目录",
    errno.ENAMETOOLONG: "文件名过长",
    errno.EIO: "输入输出错误",
    errno.EPIPE: "接收端已关闭",
}


class OutError(Exception):
    """The output cannot be written; the message (Chinese) says why."""


def reason_zh(e: OSError) -> str:
    return REASONS.get(e.errno, e.strerror or type(e).__name__)


def check_out(path: str | os.PathLike, *, make_parents: bool = False) -> Path:
    """``path`` as a Path if it can become the output file, else ``OutError``. With ``make_parents`` a missing
    parent directory is fine as long as it could be created."""
    p = Path(path)
    if str(path) in ("", ".") or p.name in ("", ".", ".."):
        raise OutError(f"输出文件名无效：{str(path)!r}")
    try:
        if p.is_dir():
            raise OutError(f"输出路径 {p} 是一个目录，请给出文件名")
        if p.exists():
            st = p.stat()
            if not stat.S_ISREG(st.st_mode):  # a device or a pipe: written in place
                if not os.access(p, os.W_OK):
                    raise OutError(f"无法写入输出文件 {p}：没有写入权限")
                return p
            if not os.access(p, os.W_OK):
                raise OutError(f"无法写入输出文件 {p}：没有写入权限")
        parent = p.parent
        while make_parents and not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.exists():
            raise OutError(f"无法写入输出文件 {p}：所在目录 {p.parent} 不存在")
        if not parent.is_dir():
            raise OutError(f"无法写入输出文件 {p}：{parent} 不是目录")
        with tempfile.TemporaryFile(dir=parent):  # the real test (permission bits say little to root)
            pass
    except OSError as e:
        raise OutError(f"无法写入输出文件 {p}：{reason_zh(e)}") from None
    return p


def write_out(path: str | os.PathLike, data: bytes | str, *, make_parents: bool = False) -> Path:
    """Write ``data`` (text as UTF-8) to ``path`` whole, or raise ``OutError`` and leave nothing half-written."""
    p = check_out(path, make_parents=make_parents)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    tmp = None
    try:
        if p.exists() and not stat.S_ISREG(p.stat().st_mode):  # a device or a pipe: no rename possible
            with open(p, "wb") as f:
                f.write(raw)
            return p
        if make_parents:
            p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".part", dir=p.parent)
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
            f.flush()
            os.fsync(f.fileno())
        if p.exists():
            os.chmod(tmp, stat.S_IMODE(p.stat().st_mode))
        else:
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, p)
        tmp = None
        return p
    except OSError as e:
        raise OutError(f"无法写入输出文件 {p}：{reason_zh(e)}") from None
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass


def say_error(message: str) -> None:
    """A command's error, as every command prints it (argparse's ``error:`` then the Chinese message)."""
    print(f"error: {message}", file=sys.stderr)


def out_refused(path: str | os.PathLike | None, *, make_parents: bool = False) -> int | None:
    """For a command, before its work: ``None`` if ``path`` (or no path) can become the output, else the message
    is printed and 2 returned."""
    if not path:
        return None
    try:
        check_out(path, make_parents=make_parents)
    except OutError as e:
        say_error(str(e))
        return 2
    return None


def save_out(path: str | os.PathLike, data: bytes | str, *, make_parents: bool = False) -> int | None:
    """For a command, after its work: ``None`` once ``data`` is written whole, else the message is printed and 1
    returned (the work was done; only the file could not be written)."""
    try:
        write_out(path, data, make_parents=make_parents)
    except OutError as e:
        say_error(str(e))
        return 1
    return None
