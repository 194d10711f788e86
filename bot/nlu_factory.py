"""Choosing the NLU backend from a spec string (env `FRONTDESK_NLU`): `builtin` or `rasa:http://host:5005`."""

from __future__ import annotations

from pathlib import Path

from bot.nlu_rasa import RasaNlu
from bot.settings import repo_root
from dialogs.nlu.builtin import BuiltinNlu
from dialogs.nlu.feedback import FeedbackReader
from dialogs.nlu.types import NluBackend

DEFAULT_SPEC = "builtin"
# Follow-up answers' examples: outside nlu_data/ so neither the intent model nor Rasa trains on them.
FEEDBACK_DATA_DIR = repo_root() / "feedback_data"


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


def make_feedback_reader(cache_dir: Path, data_dir: Path = FEEDBACK_DATA_DIR) -> FeedbackReader:
    """The follow-up answer reader, cached in its own subdirectory of the NLU cache (`feedback/`).

    It is built-in whatever `FRONTDESK_NLU` says: a Rasa server is trained on the intents only.
    """
    return FeedbackReader.load(data_dir, cache_dir / "feedback")
