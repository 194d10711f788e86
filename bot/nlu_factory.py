"""Choosing the NLU backend from a spec string (env `FRONTDESK_NLU`): `builtin` or `rasa:http://host:5005`."""

from __future__ import annotations

from pathlib import Path

from bot.nlu_rasa import RasaNlu
from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.types import NluBackend

DEFAULT_SPEC = "builtin"


def make_nlu(spec: str, data_dir: Path, cache_dir: Path) -> NluBackend:
    """Build the backend the spec names; the built-in one trains or loads its cached model here."""
    spec = spec.strip() or DEFAULT_SPEC
    if spec == "builtin":
        nlu = BuiltinNlu.load(data_dir, cache_dir)
        nlu.warm_up()  # the first resident to mention a time should not wait for the time parsers to load
        return nlu
    if spec.startswith("rasa:"):
        url = spec.removeprefix("rasa:")
        if not url.startswith(("http://", "https://")):
            raise ValueError(
                f"a Rasa NLU spec needs an http(s) URL, like rasa:http://localhost:5005 (got {spec!r})"
            )
        return RasaNlu(url)
    raise ValueError(f"unknown NLU backend {spec!r}: use 'builtin' or 'rasa:http://host:5005'")
