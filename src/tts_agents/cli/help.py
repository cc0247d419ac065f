"""Readable help for every command: ``generate [OPTIONS] TEXT`` and ``--speed FLOAT``.

Typer's own help shows ``{text}`` and ``<str>``; click names values ``TEXT`` and
``INTEGER``, and so do we.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from typer.core import TyperArgument, TyperCommand, TyperOption

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

__all__ = ["use_readable_help"]

_TYPE_METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "Path": "PATH"}


class _ReadableCommand(TyperCommand):
    """A command whose help says ``generate [OPTIONS] TEXT`` and ``--speed FLOAT``.

    Typer's own help shows ``{text}`` and ``<str>``. Parameters without a metavar get one:
    an argument its name in capitals, an option the name of its type.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        for param in self.params:
            if param.metavar is not None or not param.name:
                continue
            if isinstance(param, TyperArgument):
                param.metavar = param.name.upper()
            elif isinstance(param, TyperOption) and not (param.is_flag or param.count):
                element = param.bare_type().removeprefix("list[").removesuffix("]")
                param.metavar = _TYPE_METAVARS.get(element, element.upper())

    def collect_usage_pieces(self, ctx: Context) -> list[str]:
        """``[OPTIONS]`` and the arguments, optional ones in brackets."""
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument):
                name = param.metavar or ""
                name = name if param.required else f"[{name}]"
                pieces.append(name + ("..." if param.nargs != 1 else ""))
        return pieces

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        """The Arguments section by metavar alone, then the options as typer writes them."""
        arguments, options = [], []
        for param in self.get_params(ctx):
            if isinstance(param, TyperArgument) and not param.hidden:
                name = (param.metavar or "") + ("..." if param.nargs != 1 else "")
                arguments.append((name, param.help or ""))
            elif not isinstance(param, TyperArgument):
                record = param.get_help_record(ctx)
                if record is not None:
                    options.append(record)
        for title, rows in (("Arguments", arguments), ("Options", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)


def use_readable_help(typer_app: typer.Typer) -> None:
    """Give every command of ``typer_app``, sub-apps included, the readable help."""
    for command in typer_app.registered_commands:
        if command.cls in (None, TyperCommand):  # typer's default; keep a chosen class
            command.cls = _ReadableCommand
    for group in typer_app.registered_groups:
        if isinstance(group.typer_instance, typer.Typer):
            use_readable_help(group.typer_instance)
