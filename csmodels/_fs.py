"""Where ``csmodels rerun``, ``book`` and ``mapping-template`` may write, and how.

An output folder (``--out``) is

* never the book's sources, the data folder, the folders holding the profile, the
  mapping or the files the data folder links to, the current folder or the home
  folder, nor a folder around any of them; nor inside the data folder. Paths are
  compared by what they are on disk (device and inode), so symlinks, ``..`` and
  the case of a name on a case-insensitive disk change nothing;
* replaced with ``--force`` only when it holds the :data:`MARKER` file that
  csmodels writes into every output, so a folder of someone's own files is never
  taken for an old output;
* written by one run at a time: a lock file next to it names the run holding it;
* built in a staging folder next to it that replaces it only at the end, so an
  error, a full disk or a signal leaves nothing half-written.

Faults of the file system (a full disk, a read-only disk, no permission, a name
too long) become one sentence naming the path (:func:`os_error_message`).
"""

from __future__ import annotations

import errno
import fcntl
import glob
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from ._signals import deferred_signals
from .exceptions import CsModelsError

MARKER = ".csmodels-output"  # in every folder csmodels writes; --force replaces only those
_STAGING = ".csmodels-staging"  # in a staging folder: the --out it is for
_SYSTEM = ("/proc", "/sys")  # virtual file systems: never an output


class OutputError(CsModelsError):
    """An output path csmodels refuses to write, or a write the file system refused.

    The message is one line whatever the paths in it hold (:func:`shown`)."""

    def __init__(self, message: str) -> None:
        super().__init__(shown(message))


# ------------------------------------------------------------------- file-system faults


def shown(text) -> str:
    r"""``text`` safe to print on a terminal: control characters as escapes.

    >>> shown("a\x1b[31mb\nc")
    'a\\x1b[31mb\\nc'
    """
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in str(text))

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the disk is read-only",
    errno.EACCES: "you do not have permission to write there",
    errno.EPERM: "the operation is not permitted there",
    errno.ENAMETOOLONG: "a name in the path is too long for the file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOENT: "a folder on the way does not exist",
}


def os_error_message(err: OSError, what: str = "the output") -> str:
    """One sentence for a file-system fault, naming the path and what to do.

    >>> import errno
    >>> os_error_message(OSError(errno.ENOSPC, "No space left on device", "/mnt/o"))[:75]
    'Could not write the output at /mnt/o: the disk is full (No space left on de'
    """
    where = f" at {shown(err.filename)}" if err.filename else ""
    reason = _REASONS.get(err.errno, "the system refused it")
    return (f"Could not write {what}{where}: {reason} ({err.strerror or err}). Nothing was "
            "written; free some space or choose another place, then run the command again."
            if err.errno in (errno.ENOSPC, errno.EDQUOT) else
            f"Could not write {what}{where}: {reason} ({err.strerror or err}). Nothing was "
            "written; choose another place, then run the command again.")


@contextmanager
def os_errors(what: str = "the output") -> Iterator[None]:
    """Turn a file-system fault inside the block into an :class:`OutputError`."""
    try:
        yield
    except OSError as err:
        raise OutputError(os_error_message(err, what)) from None


# ------------------------------------------------------------------ what a path is


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _real(path: Path) -> Path:
    """``path`` absolute with its links followed; as written where a link loops."""
    path = Path(os.path.abspath(path))
    try:
        return path.resolve()
    except (RuntimeError, OSError):
        return path


def _chain(path: Path) -> set[tuple[int, int]]:
    """The identities of ``path`` and every existing folder above it."""
    path = Path(os.path.abspath(path))
    found = {_identity(p) for p in (path, *path.parents)}
    found.update(_identity(p) for p in (_real(path), *_real(path).parents))
    found.discard(None)
    return found


def is_within(path: Path, folder: Path) -> bool:
    """``path`` is ``folder`` or lies inside it, however either is spelt.

    >>> is_within(Path("/tmp/../tmp/x"), Path("/tmp")), is_within(Path("/tmp"), Path("/tmp/x"))
    (True, False)
    """
    ident = _identity(folder)
    if ident is not None:
        return ident in _chain(path)
    folder, resolved = _real(folder), _real(path)
    return resolved == folder or folder in resolved.parents


def looks_like_output(folder: Path) -> bool:
    """``folder`` holds the marker csmodels writes into every output."""
    marker = folder / MARKER
    if marker.is_symlink() or not marker.is_file():
        return False
    try:
        return "csmodels" in json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def write_marker(folder: Path, command: str) -> None:
    (folder / MARKER).write_text(json.dumps({
        "csmodels": __version__, "command": command,
        "written": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "note": "csmodels wrote this folder; --force may replace it."}) + "\n",
        encoding="utf-8")


def _first_existing(path: Path) -> Path:
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            return p
    return Path("/")


# ------------------------------------------------------------------ the output folder


def protected_folders(data: Path, profile: Path | None, book: Path) -> list[tuple[Path, str]]:
    """Folders an ``--out`` may neither be nor hold, each with what it is."""
    data = Path(data)
    found = [(data, "the data folder"), (book, "the book's sources")]
    with suppress(OSError, RuntimeError):  # a removed current folder, no home folder
        found.append((Path.cwd(), "the current folder"))
    with suppress(OSError, RuntimeError):
        found.append((Path.home(), "your home folder"))
    if profile is not None:
        found += [(Path(os.path.abspath(profile)).parent, "the folder holding the profile"),
                  (_real(profile).parent, "the folder holding the profile")]
    with suppress(OSError):
        for entry in data.iterdir():  # mapping.yml and the tables, wherever links point
            if entry.is_symlink():
                target = _real(entry)
                found.append((target if target.is_dir() else target.parent,
                              f"the folder {shown(entry.name)} in the data folder links to"))
    return found


def check_output(out: Path, data: Path, force: bool, profile: Path | None = None,
                 book: Path | None = None) -> None:
    """Refuse an ``--out`` that could overwrite the reader's files or the book's.

    Raises :class:`OutputError` with what to do instead; writes nothing.
    """
    out = Path(out)
    book = Path(book) if book else Path(__file__).resolve().parents[1]
    absolute = Path(os.path.abspath(out))
    check_writable(out)
    if is_within(out, data):
        raise OutputError(f"--out {absolute} is inside the data folder {data}; the data "
                          "folder is never written to. Choose an output folder elsewhere.")
    for folder, what in protected_folders(data, profile, book):
        if is_within(folder, out):
            raise OutputError(f"--out {absolute} is or holds {what} ({shown(folder)}); "
                              "replacing it would delete those files. Choose an output "
                              "folder elsewhere.")
    top = _top_under(out, book)
    if top is not None:
        if top.exists() and not looks_like_output(top):
            raise OutputError(f"--out {absolute} is inside the book's sources ({top}). Choose "
                              "a new folder, or one csmodels wrote before.")
    check_contents(out, force)


def _top_under(path: Path, folder: Path) -> Path | None:
    """The entry of ``folder`` that ``path`` is or lies in, if it lies in ``folder``."""
    ident = _identity(folder)
    path = _real(path)
    for child, parent in zip((path, *path.parents), path.parents, strict=False):
        if ident is not None and _identity(parent) == ident:
            return child
    return None


def check_writable(out: Path) -> None:
    """Refuse a path the file system cannot hold, before any work is done."""
    if str(out).startswith("~"):
        raise OutputError(f"--out {out} starts with ~, which the shell did not expand (it was "
                          "quoted); csmodels would make a folder named ~. Write the full path.")
    absolute = Path(os.path.abspath(out))
    size = len(os.fsencode(str(absolute)))
    if size + _PATH_MARGIN > _path_max():
        raise OutputError(f"--out {str(absolute)[:60]}... is {size} bytes long; paths on this "
                          f"system hold at most {_path_max()}, less {_PATH_MARGIN} for the "
                          "files csmodels writes inside. Choose a shorter path.")
    base = _first_existing(absolute.parent)  # out itself may be an old output or file
    limit = _name_max(base if base.is_dir() else base.parent)
    for part in absolute.parts:
        if len(os.fsencode(part)) > limit:
            raise OutputError(f"--out {part[:40]}...: the name is {len(os.fsencode(part))} "
                              f"bytes long; the file system allows {limit}. Choose a shorter "
                              "name.")
    try:
        resolved = absolute.resolve()
    except (RuntimeError, OSError):
        raise OutputError(f"--out {absolute} goes through a symlink loop (a link that "
                          "points, at last, to itself). Choose another path.") from None
    for system in _SYSTEM:
        if resolved == Path(system) or Path(system) in resolved.parents:
            raise OutputError(f"--out {absolute} is in {system}, a view of the running "
                              "system, not a disk. Choose a folder on a disk.")
    if not base.is_dir():
        raise OutputError(f"--out {absolute} is under {base}, which is a file, not a folder. "
                          "Choose an output folder elsewhere.")
    if os.statvfs(base).f_flag & os.ST_RDONLY:
        raise OutputError(f"--out {absolute} is on a read-only disk ({base}). Choose an "
                          "output folder you can write to.")
    if not os.access(base, os.W_OK | os.X_OK):
        raise OutputError(f"--out {absolute}: you do not have permission to write in {base}. "
                          "Choose an output folder you can write to.")


_PATH_MARGIN = 200  # room for the deepest file of a site under --out


def _path_max() -> int:
    try:
        return os.pathconf("/", "PC_PATH_MAX")
    except (OSError, ValueError):
        return 4096


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError):
        return 255


def check_contents(out: Path, force: bool) -> None:
    """A new or empty folder, or with ``force`` one csmodels wrote; nothing else."""
    if out.is_symlink() and not out.exists():
        raise OutputError(f"--out {out} is a link to nothing. Give a folder.")
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} is a file. Give a folder.")
    if not out.is_dir() or not any(out.iterdir()):
        return
    if not force:
        raise OutputError(f"--out {out} is not empty. Give an empty or new folder, or --force "
                          "to replace an output csmodels wrote there before.")
    if not looks_like_output(out):
        raise OutputError(f"--out {out} is not empty and was not written by csmodels (it has "
                          f"no {MARKER} file), so --force does not replace it. Give an empty "
                          "or new folder, or move its files away yourself.")


# ----------------------------------------------------------------------------- lock


def _lock_path(out: Path) -> Path:
    # casefolded: on a disk that ignores case, OUT and out are one folder, one lock
    digest = hashlib.sha256(os.fsencode(out.name.casefold())).hexdigest()[:12]
    return out.parent / f".csmodels-{digest}.lock"


@contextmanager
def output_lock(out: Path, command: str) -> Iterator[None]:
    """Hold the lock on ``out``: a second run to the same folder is refused, naming
    the first. The lock file goes when the run ends (a killed run's stale file is
    taken over: the system releases its lock)."""
    path = _lock_path(out)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = shown(os.read(fd, 300).decode("utf-8", "replace").strip()) or "unknown"
            os.close(fd)
            raise OutputError(f"--out {out} is being written by another csmodels run "
                              f"({holder}). Wait for it to finish, or choose another "
                              "--out.") from None
        if _same_file(fd, path):
            break
        os.close(fd)  # the file was removed by the run that held it: lock the new one
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}, csmodels {command}, started "
                     f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode())
        yield
    finally:
        with deferred_signals():
            with suppress(OSError):
                path.unlink()
            os.close(fd)


def _same_file(fd: int, path: Path) -> bool:
    st = os.fstat(fd)
    return _identity(path) == (st.st_dev, st.st_ino)


# ----------------------------------------------------------------------------- staging


@contextmanager
def staged(out: Path, force: bool = True, command: str = "rerun") -> Iterator[Path]:
    """A staging folder next to ``out`` that becomes ``out`` only if the block succeeds.

    Under :func:`output_lock`; the contents of ``out`` are checked again once the
    lock is held. Folders created on the way to ``out`` go again if the block fails.
    """
    out = _real(out)
    created = [p for p in (out.parent, *out.parent.parents) if not p.exists()]
    tmp = None
    try:
        with os_errors():
            out.parent.mkdir(parents=True, exist_ok=True)
        with output_lock(out, command):
            check_contents(out, force)
            try:
                with os_errors():
                    _remove_stale_staging(out)
                    tmp = Path(tempfile.mkdtemp(prefix=_staging_prefix(out), dir=out.parent))
                    (tmp / _STAGING).write_text(str(out), encoding="utf-8")
                yield tmp / "out"
                with deferred_signals(), os_errors():
                    write_marker(tmp / "out", command)
                    _swap(tmp / "out", out, tmp)
            finally:
                with deferred_signals():
                    if tmp is not None:
                        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if not out.exists():
            _remove_empty(created)


def _staging_prefix(out: Path) -> str:
    return f".{out.name[:40]}.tmp-"


def _remove_stale_staging(out: Path) -> None:
    """Remove the staging folders a killed run (SIGKILL, a power cut) left for ``out``:
    the lock is held, so no live run owns them; each names its ``out`` inside."""
    for folder in out.parent.glob(glob.escape(_staging_prefix(out)) + "*"):
        owner = folder / _STAGING
        with suppress(OSError):
            if (folder.is_dir() and not folder.is_symlink() and not owner.is_symlink()
                    and owner.read_text(encoding="utf-8") == str(out)):
                shutil.rmtree(folder)


def _swap(new: Path, out: Path, tmp: Path) -> None:
    old = tmp / "old"
    if out.exists():
        out.rename(old)
    try:
        new.rename(out)
    except OSError:
        if old.exists():
            old.rename(out)
        raise


def _remove_empty(folders: Iterable[Path]) -> None:
    for folder in folders:  # deepest first
        try:
            folder.rmdir()
        except OSError:
            return


def copy_tree(src: Path, dst: Path, ignore=None) -> None:
    """Copy the folder ``src`` to the new ``dst`` (links followed, special files such as
    pipes skipped), stopping at the first fault with its ``errno``, which
    :func:`shutil.copytree` folds into one :class:`shutil.Error` without one."""
    src, dst = Path(src), Path(dst)
    names = os.listdir(src)
    skip = set(ignore(str(src), names)) if ignore else set()
    dst.mkdir()
    for name in names:
        if name in skip:
            continue
        source = src / name
        if source.is_dir():
            copy_tree(source, dst / name, ignore)
        elif source.is_file():
            try:
                shutil.copy2(source, dst / name)
            except OSError as err:  # name the file being written, not the one read
                raise OSError(err.errno, err.strerror, str(dst / name)) from None


# ------------------------------------------------------------------ single files


def check_file_target(out: Path, data: Path, force: bool) -> None:
    """Refuse a file ``--out`` that is a folder, in a missing folder, in the data
    folder, or exists without ``force`` (mapping-template)."""
    absolute = Path(os.path.abspath(out))
    check_writable(out)
    if is_within(out, data) or _is_linked_from(out, data):
        raise OutputError(f"--out {absolute} is in the data folder {data}, which csmodels "
                          "never writes to. Write the template elsewhere, check it, then save "
                          "it in the data folder as mapping.yml yourself.")
    if out.is_dir():
        raise OutputError(f"--out {absolute} is a folder. Give a file name, such as "
                          f"{absolute / 'mapping-draft.yml'}.")
    parent = absolute.parent
    if not parent.is_dir():
        what = "is a file" if parent.exists() else "does not exist"
        raise OutputError(f"--out {absolute}: the folder {parent} {what}. Give a file in an "
                          "existing folder.")
    if (out.exists() or out.is_symlink()) and not force:
        raise OutputError(f"--out {absolute} exists. Give another --out, or --force to "
                          "overwrite it.")


def _is_linked_from(out: Path, data: Path) -> bool:
    """``out`` is a file the data folder links to (a table kept elsewhere)."""
    ident = _identity(out)
    with suppress(OSError):
        return ident is not None and any(
            entry.is_symlink() and _identity(entry) == ident for entry in Path(data).iterdir())
    return False


def write_file(out: Path, text: str) -> None:
    """Write ``text`` to ``out`` whole or not at all (a full disk leaves the old file)."""
    out = Path(os.path.abspath(out))
    with os_errors(f"{out.name}"):
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name[:40]}.tmp-", dir=out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(tmp, out)
        except BaseException:
            with suppress(OSError):
                os.unlink(tmp)
            raise
