"""The intent catalogue: what kind of outcome each NLU intent leads to, and who owns it.

Kept in one table so that the decision rules, the domain and the tests agree; docs/intents.md
describes each intent for people writing training data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict

DEPARTMENTS = (
    "pre_sales",
    "after_sales",
    "orders_logistics",
    "marketing",
    "product",
    "rnd",
    "pr",
)

DEPARTMENT_NAMES = {
    "pre_sales": "售前咨询",
    "after_sales": "售后服务",
    "orders_logistics": "订单物流",
    "marketing": "活动运营",
    "product": "产品部",
    "rnd": "研发部",
    "pr": "公关部",
}

FAQ, HANDOFF, SOCIAL, IGNORE = "faq", "handoff", "social", "ignore"
FALLBACK_INTENT = "nlu_fallback"


@dataclass(frozen=True)
class IntentInfo:
    kind: str
    department: str | None


CATALOGUE: Dict[str, IntentInfo] = {
    "greet": IntentInfo(SOCIAL, None),
    "thanks": IntentInfo(SOCIAL, None),
    "chitchat": IntentInfo(SOCIAL, None),
    "spam_ad": IntentInfo(IGNORE, None),
    "out_of_scope": IntentInfo(IGNORE, None),
    "lottery_entry": IntentInfo(IGNORE, None),
    "ask_price": IntentInfo(FAQ, "pre_sales"),
    "ask_specs": IntentInfo(FAQ, "pre_sales"),
    "ask_where_to_buy": IntentInfo(FAQ, "pre_sales"),
    "ask_purchase_offer": IntentInfo(FAQ, "pre_sales"),
    "ask_release": IntentInfo(FAQ, "pre_sales"),
    "bulk_purchase": IntentInfo(HANDOFF, "pre_sales"),
    "compare_competitor": IntentInfo(HANDOFF, "pre_sales"),
    "ask_warranty": IntentInfo(FAQ, "after_sales"),
    "ask_return_exchange": IntentInfo(FAQ, "after_sales"),
    "ask_repair_price": IntentInfo(FAQ, "after_sales"),
    "ask_care_plus": IntentInfo(FAQ, "after_sales"),
    "ask_repair_service": IntentInfo(FAQ, "after_sales"),
    "ask_troubleshoot": IntentInfo(FAQ, "after_sales"),
    "device_fault": IntentInfo(HANDOFF, "after_sales"),
    "ask_shipping": IntentInfo(FAQ, "orders_logistics"),
    "ask_order_change": IntentInfo(FAQ, "orders_logistics"),
    "ask_order_policy": IntentInfo(FAQ, "orders_logistics"),
    "order_problem": IntentInfo(HANDOFF, "orders_logistics"),
    "ask_lottery": IntentInfo(FAQ, "marketing"),
    "ask_coupon_event": IntentInfo(FAQ, "marketing"),
    "ask_fan_meetup": IntentInfo(FAQ, "marketing"),
    "prize_problem": IntentInfo(HANDOFF, "marketing"),
    "business_coop": IntentInfo(HANDOFF, "marketing"),
    "product_suggestion": IntentInfo(HANDOFF, "product"),
    "ask_known_issue": IntentInfo(FAQ, "rnd"),
    "software_bug": IntentInfo(HANDOFF, "rnd"),
    "complaint": IntentInfo(HANDOFF, "pr"),
    "media_inquiry": IntentInfo(HANDOFF, "pr"),
    "ask_company": IntentInfo(FAQ, None),
}


def info(intent: str | None) -> IntentInfo | None:
    return CATALOGUE.get(intent or "")
