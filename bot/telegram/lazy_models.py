"""Import aiogram so that its ~400 pydantic models are built on first use, not all at import.

`aiogram.types` ends by calling `model_rebuild` on every Telegram type with one shared namespace
(aiogram issue #1513). Each rebuild compiles a validator that inlines every type it can reach, so a
worker pays ~100 MB of validators before it has seen an update, almost all for types it never meets
(payments, stickers, business accounts …). aiogram already marks its models `defer_build=True`; only
that loop defeats it.

`import_aiogram_lazily` imports `aiogram.types` with that loop's rebuilds skipped and gives every aiogram
model still unbuilt (the types, and the API methods that use them) the namespace the loop would have used
as its parent namespace, so pydantic's own deferred build resolves the forward references when a model is
first used. A deferred build also reads the local names of whoever first uses the model; the parent
namespace takes precedence over them, so a caller's own `Location` (dialogs.messages has one) cannot stand
in for aiogram's. The same names are also put into the types' modules, for models made after the import
(aiogram parametrises `Response[...]` per call). Measured: `import aiogram` 166 → ~60 MB of RSS, and
building `Update` on the first update costs ~4 MB (docs/benchmarks.md). Validation is unchanged: the same
models with the same namespace, built later.

It must run before anything else imports aiogram; `bot.telegram` calls it when the package loads. If
aiogram is already imported (a test importing it first), it does nothing: the models are built already.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

__all__ = ["build_now", "import_aiogram_lazily"]

_TYPES_PACKAGE = "aiogram.types"

# The response models `build_now` parametrised, held for the life of the process (see there).
_RESPONSES: dict[object, type[BaseModel]] = {}


def import_aiogram_lazily() -> None:
    """Import aiogram's types, leaving their validators to be built when each is first used."""
    if _TYPES_PACKAGE in sys.modules:
        return
    eager = BaseModel.__dict__["model_rebuild"]
    namespace: dict[str, Any] = {}

    def rebuild_later(cls: type[BaseModel], /, **options: Any) -> bool | None:
        """Skip the rebuild `aiogram.types` asks for (with its namespace); pass any other one on."""
        types_namespace = options.get("_types_namespace")
        if cls.__module__.startswith(_TYPES_PACKAGE + ".") and types_namespace and not options.get("force"):
            namespace.update(types_namespace)
            return None
        # One frame deeper than pydantic expects: the caller's namespace is one more step up.
        options["_parent_namespace_depth"] = options.get("_parent_namespace_depth", 2) + 1
        result: bool | None = eager.__func__(cls, **options)
        return result

    type.__setattr__(BaseModel, "model_rebuild", classmethod(rebuild_later))
    try:
        __import__(_TYPES_PACKAGE)
    finally:
        type.__setattr__(BaseModel, "model_rebuild", eager)
    for model in _unbuilt_aiogram_models():
        type.__setattr__(model, "__pydantic_parent_namespace__", namespace)
    # Models made later (aiogram's `Response[list[Update]]` is parametrised per call) have no parent
    # namespace of their own; they find the types through the modules of the types they contain.
    for name, module in list(sys.modules.items()):
        if name.startswith(_TYPES_PACKAGE + ".") and module is not None:
            for key, value in namespace.items():
                module.__dict__.setdefault(key, value)


def _unbuilt_aiogram_models() -> Iterator[type[BaseModel]]:
    """Every aiogram model class whose validator is not built yet."""
    seen: set[type[BaseModel]] = set()
    stack: list[type[BaseModel]] = [BaseModel]
    while stack:
        for model in stack.pop().__subclasses__():
            if model in seen:
                continue
            seen.add(model)
            stack.append(model)
            if model.__module__.startswith("aiogram.") and not model.__pydantic_complete__:
                yield model


def build_now(*models: type[BaseModel]) -> None:
    """Build these models now, and for an API method the model of its response: a process calls this at
    start-up for what it uses at once (`Update`, the methods it sends with), so the first update and the
    first send do not each stall the event loop for ~80 ms while pydantic builds `Message`'s validator."""
    from aiogram.methods import Response

    for model in models:
        if not model.__pydantic_complete__:
            model.model_rebuild()
        returning = getattr(model, "__returning__", None)
        if returning is not None:
            # aiogram asks for `Response[returning]` on every call of the method, and pydantic caches
            # parametrised models only weakly: once the cyclic collector frees the class, the next call
            # builds it again (~3 ms of event loop per sent message in the load benchmark, 13 % of the
            # worker's time). Held here, it is built once.
            _RESPONSES[returning] = Response[returning]  # type: ignore[valid-type]
