"""What a complaint is about (its cause, 投诉原因), for the monthly summary's "by category" and top causes.

A complaint ticket carries its class (一/二/三类) but not its subject, so the report reads the subject off
the resident's words with a small keyword table: the first cause whose words occur wins, in the order
below (more specific subjects first). Keywords match text, they are not shown; the labels shown come from
the catalogue (`report.cause.<key>`). A complaint that matches nothing is `other`.
"""

from __future__ import annotations

from dialogs.domain import Ticket

CAUSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("attitude", ("态度", "不耐烦", "骂", "凶", "不理", "推诿", "rude", "attitude", "impolite", "ignored")),
    ("repair_delay", ("没人来修", "维修慢", "修了几次", "一直没修", "还没修", "拖", "not fixed", "repair")),
    ("noise", ("噪音", "吵", "扰民", "装修声", "noise", "noisy", "loud")),
    ("cleanliness", ("卫生", "垃圾", "脏", "臭", "保洁", "清扫", "garbage", "rubbish", "dirty", "smell")),
    ("security", ("保安", "门禁", "陌生人", "被盗", "小偷", "安全", "security", "guard", "theft", "stolen")),
    ("parking", ("停车", "车位", "占道", "乱停", "parking", "parked", "car park")),
    ("fees", ("收费", "物业费", "乱收", "费用", "账单", "fee", "charge", "bill")),
    ("facilities", ("电梯", "路灯", "设施", "健身", "lift", "elevator", "facility", "light")),
    ("landscaping", ("绿化", "草坪", "树", "花园", "lawn", "tree", "garden")),
    ("pets", ("狗", "猫", "宠物", "dog", "cat", "pet")),
    ("building_quality", ("渗水", "裂缝", "开发商", "质量", "墙面", "crack", "developer", "seepage")),
)
OTHER = "other"
CAUSE_KEYS: tuple[str, ...] = (*(key for key, _ in CAUSES), OTHER)


def cause_of(ticket: Ticket) -> str:
    """The cause key of a complaint (`other` when no subject is recognised)."""
    kept = ticket.details.get("cause")  # stored when the retention period removed the words (records)
    if kept in CAUSE_KEYS:
        return kept
    text = ticket.description.lower()
    for key, words in CAUSES:
        if any(word in text for word in words):
            return key
    return OTHER
