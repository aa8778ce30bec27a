"""Entry point of the ``rrbench`` command.

Subcommands live in their own modules and are imported only when invoked, so
``rrbench --help`` and light commands never import torch or transformers.
Every :class:`~roboreward_bench.errors.RRBenchError` is printed as one line on
stderr with exit code 2: users see what is wrong, never a traceback.
"""

from __future__ import annotations

import sys
from importlib import import_module

import click

from roboreward_bench import __version__
from roboreward_bench.errors import RRBenchError

# command name -> "module:attribute"
COMMANDS: dict[str, str] = {
    "eval": "roboreward_bench.cli.eval_cmd:eval_command",
    "score": "roboreward_bench.cli.score_cmd:score_command",
    "show": "roboreward_bench.cli.score_cmd:show_command",
    "merge": "roboreward_bench.cli.score_cmd:merge_command",
    "tasks": "roboreward_bench.cli.tasks_cmd:tasks_command",
    "models": "roboreward_bench.cli.models_cmd:models_command",
    "metrics": "roboreward_bench.cli.metrics_cmd:metrics_command",
    "data": "roboreward_bench.cli.data_cmd:data_group",
    "submit": "roboreward_bench.cli.leaderboard_cmd:submit_command",
    "validate": "roboreward_bench.cli.leaderboard_cmd:validate_command",
    "leaderboard": "roboreward_bench.cli.leaderboard_cmd:leaderboard_group",
    "review": "roboreward_bench.cli.review_cmd:review_group",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name, quiet=True) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name, quiet=False)

    @staticmethod
    def _load(name: str, quiet: bool) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module_name, attribute = target.split(":")
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:  # the command is not part of this build
                return None
            raise
        return getattr(module, attribute)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rrbench")
def _group() -> None:
    """rrbench: evaluate vision-language reward models on robot videos."""


def cli(argv: list[str] | None = None) -> None:
    """Run the CLI, turning user errors into one-line messages."""
    from roboreward_bench import interrupt
    from roboreward_bench.models.redaction import install_log_redaction, redact

    install_log_redaction()
    previous_handler = interrupt.install()
    try:
        _group.main(args=argv, prog_name="rrbench", standalone_mode=False)
    except RRBenchError as exc:
        click.echo(f"rrbench: error: {redact(str(exc))}", err=True)
        sys.exit(2)
    except (click.exceptions.Abort, KeyboardInterrupt):
        # Leave at once: requests still in flight are abandoned, not awaited (answered items are saved).
        interrupt.hard_exit("rrbench: interrupted; everything answered is saved. Run the same command to resume")
    except OSError as exc:  # a last resort: each stage should already have said which file and why
        where = f"{exc.filename}: " if exc.filename else ""
        click.echo(f"rrbench: error: {redact(where + (exc.strerror or str(exc)))}", err=True)
        sys.exit(2)
    except UnicodeDecodeError as exc:
        click.echo(f"rrbench: error: an input file is not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at "
                   f"offset {exc.start}); save it as UTF-8", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    finally:
        interrupt.restore(previous_handler)


if __name__ == "__main__":
    cli()
