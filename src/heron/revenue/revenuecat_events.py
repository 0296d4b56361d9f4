"""RevenueCat webhook events → subscription facts.

An app-store subscription pays from its purchase or renewal until ``expiration_at_ms``;
each ``INITIAL_PURCHASE``, ``RENEWAL``, ``UNCANCELLATION`` or ``SUBSCRIPTION_EXTENDED``
is a snapshot ending there, so a missing renewal means churn at expiration and
``CANCELLATION`` (auto-renew off) changes nothing until then. ``EXPIRATION`` ends the
subscription at once; a refund (``REFUND``, or ``CANCELLATION`` with reason
``CUSTOMER_SUPPORT``) ends it and adds a negative payment. ``PRODUCT_CHANGE`` and
``BILLING_ISSUE`` change nothing by themselves: the next renewal carries the new price,
and a billing issue keeps the subscription in its grace period. Trials (``period_type``
``TRIAL``) are worth nothing until a renewal converts them. The billing period is read
from purchase → expiration and snapped to week, month, quarter, half-year or year.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from heron.revenue.currency import to_minor
from heron.revenue.model import Fact, Item, Payment, Snapshot

STARTS = frozenset({"INITIAL_PURCHASE", "RENEWAL", "UNCANCELLATION", "SUBSCRIPTION_EXTENDED"})
PAID = frozenset({"INITIAL_PURCHASE", "RENEWAL", "NON_RENEWING_PURCHASE"})
KNOWN = (
    STARTS
    | PAID
    | {
        "CANCELLATION",
        "EXPIRATION",
        "PRODUCT_CHANGE",
        "BILLING_ISSUE",
        "REFUND",
        "TRANSFER",
        "SUBSCRIPTION_PAUSED",
    }
)
_DAY_MS = 86_400_000


def instant(ms: Any) -> datetime | None:
    if ms is None or isinstance(ms, bool):
        return None
    return datetime.fromtimestamp(int(ms) / 1000, UTC)


def event_time(event: dict[str, Any]) -> datetime | None:
    """When the event happened (``event_timestamp_ms``, else the purchase time)."""
    return instant(event.get("event_timestamp_ms") or event.get("purchased_at_ms"))


def facts(event: dict[str, Any]) -> list[Fact]:
    """The facts one RevenueCat event (the ``event`` object of the webhook body) states."""
    kind = str(event.get("type", ""))
    at = event_time(event)
    if at is None or kind not in KNOWN:
        return []
    customer = str(event.get("original_app_user_id") or event.get("app_user_id") or "")
    product = str(event.get("new_product_id") or event.get("product_id") or "")
    subscription = str(event.get("original_transaction_id") or f"{customer}:{product}")
    amount, currency = _price(event)
    transaction = str(event.get("transaction_id") or event.get("id") or "")
    out: list[Fact] = []
    refund = kind == "REFUND" or (
        kind == "CANCELLATION" and event.get("cancel_reason") == "CUSTOMER_SUPPORT"
    )
    trial = event.get("period_type") == "TRIAL"
    if kind in PAID and not trial and amount:
        out.append(Payment(customer, at, amount, currency, f"rc:{transaction}"))
    if refund:
        out.append(Payment(customer, at, -abs(amount), currency, f"rc-refund:{transaction}"))
    if kind in STARTS:
        out.append(
            Snapshot(
                subscription=subscription,
                customer=customer,
                at=at,
                status="trialing" if trial else "active",
                currency=currency,
                items=(_item(event, amount),),
                ends_at=instant(event.get("expiration_at_ms")),
                plan=product,
            )
        )
    elif kind == "EXPIRATION" or refund:
        out.append(Snapshot(subscription, customer, at, "canceled", currency, plan=product))
    return out


def _price(event: dict[str, Any]) -> tuple[int, str]:
    local = event.get("price_in_purchased_currency")
    currency = event.get("currency")
    if local is not None and currency:
        return to_minor(float(local), str(currency)), str(currency).upper()
    return to_minor(float(event.get("price") or 0.0), "USD"), "USD"


def _item(event: dict[str, Any], amount: int) -> Item:
    start, end = event.get("purchased_at_ms"), event.get("expiration_at_ms")
    days = (int(end) - int(start)) / _DAY_MS if start is not None and end is not None else 30
    if days <= 8:
        return Item(amount, "week")
    if days <= 35:
        return Item(amount, "month")
    if days <= 100:
        return Item(amount, "month", 3)
    if days <= 200:
        return Item(amount, "month", 6)
    return Item(amount, "year")
