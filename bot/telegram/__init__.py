"""The Telegram channel: aiogram adapter, rendering, transport and polling runner.

Loading the package imports aiogram with its models built on first use (`lazy_models`), before any
module of the package imports aiogram itself.
"""

from bot.telegram.lazy_models import import_aiogram_lazily

import_aiogram_lazily()
