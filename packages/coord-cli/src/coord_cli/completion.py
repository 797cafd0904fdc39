"""`coord completion bash|zsh|fish`: the shell completion script, printed for the user to install.

The script calls `coord` back with `_COORD_COMPLETE` set; the Typer application answers those
calls itself, so the script and the answers always come from the same version.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer
from typer._completion_classes import completion_init
from typer._completion_shared import get_completion_script

PROG_NAME = "coord"
COMPLETE_VARIABLE = "_COORD_COMPLETE"


class Shell(StrEnum):
    """Shells with a completion script."""

    BASH = "bash"
    ZSH = "zsh"
    FISH = "fish"


def completion(
    shell: Annotated[Shell, typer.Argument(metavar="SHELL", help="bash, zsh or fish.")],
) -> None:
    """Print the completion script for a shell.

    Save it where the shell looks for completions:

    \b
      bash  ~/.local/share/bash-completion/completions/coord
      zsh   _coord in a directory on $fpath (then: autoload -U compinit; compinit)
      fish  ~/.config/fish/completions/coord.fish

    For example: coord completion fish > ~/.config/fish/completions/coord.fish
    """
    typer.echo(script(shell))


def enable() -> None:
    """Let the application answer the completion calls of the scripts (`_COORD_COMPLETE`)."""
    completion_init()


def script(shell: Shell) -> str:
    """The completion script for `shell`."""
    enable()
    return get_completion_script(
        prog_name=PROG_NAME, complete_var=COMPLETE_VARIABLE, shell=str(shell)
    )
