"""``rrbench models``: the model backends and aliases, as tables."""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit

import click
from tabulate import tabulate

from roboreward_bench.models.aliases import ModelAlias, load_aliases
from roboreward_bench.models.registry import backend_descriptions

_SHOWN_ARGS = ("dtype", "batch_size", "device_map", "max_new_tokens", "base_url", "concurrency")


@click.command("models")
@click.option("--json", "as_json", is_flag=True, help="Print backends and aliases as JSON.")
def models_command(as_json: bool) -> None:
    """List model backends and aliases (use them as --model NAME or --model backend:argument)."""
    backends = backend_descriptions()
    aliases = load_aliases()
    if as_json:
        click.echo(json.dumps({"backends": backends,
                               "aliases": {name: {"spec": a.spec, "description": a.description,
                                                  "model_args": dict(a.model_args)} for name, a in aliases.items()}},
                              indent=2, sort_keys=True))
        return
    click.echo(tabulate(sorted(backends.items()), headers=("backend", "description")))
    click.echo("")
    rows = [(name, alias.spec, _settings(alias), _key_status(alias), alias.description)
            for name, alias in sorted(aliases.items())]
    click.echo(tabulate(rows, headers=("alias", "spec", "settings", "api key", "description")))
    click.echo("\nOverride settings with --model-args key=value,…; add aliases with $RRBENCH_ALIASES=<file.yaml>.")


def _settings(alias: ModelAlias) -> str:
    shown = []
    for key in _SHOWN_ARGS:
        if key in alias.model_args:
            value = alias.model_args[key]
            if key == "base_url":  # the host is what tells endpoints apart
                key, value = "host", urlsplit(str(value)).hostname or value
            shown.append(f"{key}={value}")
    return " ".join(shown)


def _key_status(alias: ModelAlias) -> str:
    """Whether the alias's key variable is set (its value is never shown)."""
    name = alias.model_args.get("api_key_env")
    if not name:
        return "-"
    return f"${name} ({'set' if os.environ.get(str(name)) else 'not set'})"
