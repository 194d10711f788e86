"""The Telegram channel: aiogram adapter, rendering, transport and polling runner."""
