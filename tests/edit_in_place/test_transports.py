"""Console and collecting transports: how each shows an edit and which id it reports."""

from __future__ import annotations

import io

from bot.console import ConsoleTransport
from bot.outbox import Delivered
from dialogs.messages import Action, ActionKind, Button, ChannelName, Outgoing, Reply
from tests.harness import CollectingTransport


def outgoing(text: str, *, buttons: tuple[tuple[Button, ...], ...] = ()) -> Outgoing:
    reply = Reply(text=text, buttons=buttons)
    return Outgoing(channel=ChannelName.CONSOLE, chat_id=3, reply=reply, key="ticket:R1")


async def test_console_prints_edits_marked_updated_and_counts_ids() -> None:
    out = io.StringIO()
    transport = ConsoleTransport(out=out, viewer=3)
    accept = Button("接单", Action(ActionKind.CONFIRM))
    assert await transport.send(outgoing("新工单")) == Delivered(external_id=1)
    assert await transport.send(outgoing("另一条")) == Delivered(external_id=2)
    edited = await transport.send(outgoing("已接单", buttons=((accept,),)), edit_message_id=1)
    assert edited == Delivered(external_id=1)
    assert out.getvalue().splitlines() == ["新工单", "另一条", "(updated) 已接单", "  [1] 接单"]
    assert transport.buttons[3] == [accept]
    assert await transport.send(outgoing("third")) == Delivered(external_id=3)
    group = Outgoing(channel=ChannelName.CONSOLE, chat_id=-100, reply=Reply(text="卡片"))
    someone = Outgoing(channel=ChannelName.CONSOLE, chat_id=4, reply=Reply(text="私信"))
    await transport.send(group)
    await transport.send(someone)
    assert out.getvalue().splitlines()[-2:] == ["[staff] 卡片", "[→4] 私信"]


async def test_collecting_transport_records_edits_beside_every_delivery() -> None:
    transport = CollectingTransport()
    first, second = outgoing("v1"), outgoing("v2")
    assert await transport.send(first) == Delivered(external_id=1)
    assert await transport.send(second, edit_message_id=1) == Delivered(external_id=1)
    assert transport.delivered == [first, second]
    assert transport.edits == [(1, second)]
