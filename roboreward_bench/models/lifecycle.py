"""Optional run hooks a model may have: ``attach_run_folder(path)`` and ``close()``.

Models that own resources outside the process (a managed inference server)
keep their logs in the run folder and must release those resources however
the run ends. :func:`model_session` calls the hooks on the model and on every
model it wraps (``.inner``, e.g. the response cache), so wrappers need not
forward them.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator


def _chain(model: Any) -> list[Any]:
    models = [model]
    while getattr(models[-1], "inner", None) is not None and len(models) < 10:
        models.append(models[-1].inner)
    return models


@contextmanager
def model_session(model: Any, run_dir: Path) -> Iterator[None]:
    """Attach ``run_dir`` before the run; close the model after it, on success, error or Ctrl-C."""
    chain = _chain(model)
    for each in chain:
        attach = getattr(each, "attach_run_folder", None)
        if callable(attach):
            attach(run_dir)
    try:
        yield
    finally:
        for each in chain:
            close = getattr(each, "close", None)
            if callable(close):
                close()
