"""``tts-agents``: the command line. Turns every failure into one line and an exit code.

Exit 0 on success, 2 for bad input or usage, 1 when the engine or a file operation fails.
No traceback unless ``--verbose``, which is accepted before or after the command.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence

import typer
from typer.exceptions import TyperException

from tts_agents.cli.app import app
from tts_agents.cli.help import use_readable_help
from tts_agents.errors import TTSAgentError

__all__ = ["app", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns (and, as a script, exits with) the exit code."""
    args, verbose = _take_verbose(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    code = _run(args, verbose)
    if argv is None:
        sys.exit(code)
    return code


def _run(args: list[str], verbose: bool) -> int:
    try:
        # Without standalone mode click returns the code of a typer.Exit instead of raising.
        code = app(args=args, prog_name="tts-agents", standalone_mode=False)
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return _fail("aborted", 130, verbose)
    except TyperException as exc:  # click's usage errors, as vendored by typer
        if type(exc).__name__ == "NoArgsIsHelpError":  # matched by name, as typer does
            print(exc.format_message(), file=sys.stderr)  # the help itself, as click shows it
            return 2
        format_message = getattr(exc, "format_message", None)
        message = format_message() if callable(format_message) else str(exc)
        return _fail(f"usage: {message}", int(getattr(exc, "exit_code", 2)), verbose)
    except TTSAgentError as exc:
        return _fail(exc.message, exc.exit_code, verbose)
    except KeyboardInterrupt:
        return _fail("interrupted", 130, verbose)
    except BrokenPipeError:
        return 1
    except Exception as exc:  # last resort: one line, never a traceback unless asked
        return _fail(f"internal error ({type(exc).__name__}); rerun with --verbose", 1, verbose)
    return code if isinstance(code, int) else 0


def _fail(message: str, code: int, verbose: bool) -> int:
    if verbose:
        logging.getLogger("tts_agents").exception(message)
    print(f"tts-agents: error: {_one_line(message)}", file=sys.stderr)
    return code


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _take_verbose(args: list[str]) -> tuple[list[str], bool]:
    """The arguments without ``--verbose``, and whether it was there.

    It is global, so it is taken out wherever it stands (``generate hi -o x.wav --verbose``
    too), except after ``--``, where it is text.
    """
    end = args.index("--") if "--" in args else len(args)
    kept = [arg for arg in args[:end] if arg != "--verbose"]
    return kept + args[end:], len(kept) < end


use_readable_help(app)
