"""Errors a person running a command sees, and the one handler that shows them.

Every error meant for the user subclasses :class:`UserFacingError`: its message is Japanese,
names the file (and line and column when there are any) and never holds a cell value of a
secure table. :func:`user_errors` — around every ``kogadx`` command (``kogadx.cli``) and every
``pipelines/*.py`` script (:func:`kogadx.stage.run_script`) — turns such an error, or an OS
error on a path, into one or two lines on stderr and exit code 2; anything else into a line
naming only the exception's class (its message may quote a cell of a secure table) and how to
see the full traceback (``KOGADX_DEBUG=1``).
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

DEBUG_ENV = "KOGADX_DEBUG"  # set to 1 to let exceptions through with their traceback
EXIT_USER_ERROR = 2
EXIT_INTERRUPTED = 130


class UserFacingError(Exception):
    """An error whose message is shown to the user as it is (Japanese, file / line / column,
    no personal value). Subclass it for every error a user can cause and fix."""

    exit_code = EXIT_USER_ERROR


# OS errors on a path, in the words of someone who gave that path.
_OS_REASONS: list[tuple[type[OSError], str]] = [
    (FileNotFoundError, "ファイルまたはフォルダがありません"),
    (IsADirectoryError, "ファイルを指定すべきところにフォルダが指定されています"),
    (NotADirectoryError, "フォルダを指定すべきところ (またはその途中) にファイルがあります"),
    (FileExistsError, "同じ名前のファイルが既にあり、フォルダを作れません"),
    (PermissionError, "アクセスする権限がありません"),
]


def debug_enabled() -> bool:
    """Whether ``KOGADX_DEBUG`` asks for full tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def describe_error(exc: BaseException) -> str:
    """The message for the user: a :class:`UserFacingError`'s own text; for an OS error the
    path and a Japanese reason; for anything else the class name only."""
    if isinstance(exc, UserFacingError):
        return f"エラー: {exc}"
    if isinstance(exc, OSError):
        return f"エラー: {_os_error_text(exc)}"
    # The message of an unexpected exception may quote a cell of a secure table: never shown.
    return (f"予期しないエラーが発生しました ({type(exc).__name__})。詳細は環境変数 {DEBUG_ENV}=1 を付けて"
            "再実行すると表示されます (表示内容に個人情報が含まれることがあるので共有しないでください)。")


def _os_error_text(exc: OSError) -> str:
    reason = next((text for cls, text in _OS_REASONS if isinstance(exc, cls)), None)
    if reason is None:
        code = errno.errorcode.get(exc.errno or 0, "") if exc.errno else ""
        reason = f"入出力エラー ({code or type(exc).__name__})"
    paths = [str(p) for p in (exc.filename, exc.filename2) if p is not None]
    return f"{reason}: {' → '.join(paths)}" if paths else reason


def report_error(exc: BaseException, stream: TextIO | None = None) -> int:
    """Print :func:`describe_error` on ``stream`` (stderr) and return the exit code."""
    print(describe_error(exc), file=stream or sys.stderr)
    return exc.exit_code if isinstance(exc, UserFacingError) else EXIT_USER_ERROR


@contextmanager
def user_errors(exit: Callable[[int], object] = sys.exit,
                passthrough: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Run the body; on an exception print the user's message and call ``exit(code)``.

    ``SystemExit`` (usage lines, explicit exits) passes through. With ``KOGADX_DEBUG=1`` every
    exception passes through with its traceback. ``exit`` is ``sys.exit`` for scripts; the CLI
    passes one that raises click's exit, and lets click's own exceptions (``passthrough``) by.
    """
    code: int | None = None
    try:
        yield
    except KeyboardInterrupt:
        if debug_enabled():
            raise
        print("中断しました。", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except Exception as exc:
        if debug_enabled() or isinstance(exc, passthrough):
            raise
        code = report_error(exc)
    if code is not None:  # outside the except block: the exit carries no chained exception
        exit(code)
