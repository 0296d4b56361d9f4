"""Stripe events → subscription facts (written from Stripe's documented object shapes).

``customer.subscription.*`` events carry the whole subscription, so each one becomes a
:class:`Snapshot` at the event's ``created`` time. ``invoice.paid`` /
``invoice.payment_succeeded`` become payments keyed by invoice (Stripe sends both for one
payment; the key counts it once) and ``charge.refunded`` a negative payment of the
charge's refunded total, keyed by charge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from heron.revenue.model import MONTHS_PER, Discount, Fact, Item, Payment, Snapshot

SUBSCRIPTION_PREFIX = "customer.subscription."
INVOICE_PAID = frozenset({"invoice.paid", "invoice.payment_succeeded"})
REFUNDED = "charge.refunded"


def relevant(event_type: str) -> bool:
    """Whether an event type changes revenue state (others are acknowledged and dropped)."""
    return event_type.startswith(SUBSCRIPTION_PREFIX) or event_type in INVOICE_PAID | {REFUNDED}


def instant(epoch: Any) -> datetime | None:
    """Stripe's epoch seconds → aware UTC datetime (``None`` stays ``None``)."""
    if epoch is None or isinstance(epoch, bool):
        return None
    return datetime.fromtimestamp(int(epoch), UTC)


def facts(event: dict[str, Any]) -> list[Fact]:
    """The facts one Stripe event states."""
    kind = str(event.get("type", ""))
    obj = (event.get("data") or {}).get("object") or {}
    at = instant(event.get("created"))
    if at is None or not isinstance(obj, dict):
        return []
    if kind.startswith(SUBSCRIPTION_PREFIX):
        return [subscription_snapshot(obj, at)]
    customer = _id(obj.get("customer"))
    currency = str(obj.get("currency") or "usd").upper()
    if kind in INVOICE_PAID:
        amount = int(obj.get("amount_paid") or 0)
        key = f"invoice:{obj.get('id')}"
        return [Payment(customer, at, amount, currency, key)] if amount else []
    if kind == REFUNDED:
        refunded = int(obj.get("amount_refunded") or 0)
        return [Payment(customer, at, -refunded, currency, f"refund:{obj.get('id')}")]
    return []


def subscription_snapshot(obj: dict[str, Any], at: datetime) -> Snapshot:
    """A Stripe subscription object as the state it describes from ``at`` on."""
    lines = ((obj.get("items") or {}).get("data")) or []
    items = tuple(_item(line.get("price") or line.get("plan") or {}, line) for line in lines)
    if not items and isinstance(obj.get("plan"), dict):
        items = (_item(obj["plan"], obj),)
    period_ends = [obj.get("current_period_end")] + [
        line.get("current_period_end") for line in lines
    ]
    period_end = max((int(p) for p in period_ends if p is not None), default=None)
    ends_at = instant(obj.get("cancel_at"))
    if ends_at is None and obj.get("cancel_at_period_end"):
        ends_at = instant(period_end)
    first = lines[0] if lines else {}
    price = first.get("price") or first.get("plan") or obj.get("plan") or {}
    currency = obj.get("currency") or price.get("currency") or "usd"
    return Snapshot(
        subscription=str(obj.get("id", "")),
        customer=_id(obj.get("customer")),
        at=at,
        status=str(obj.get("status", "active")),
        currency=str(currency).upper(),
        items=items,
        discount=_discount(obj),
        trial_end=instant(obj.get("trial_end")),
        ends_at=ends_at,
        plan=str(price.get("nickname") or price.get("id") or ""),
    )


def _item(price: dict[str, Any], line: dict[str, Any]) -> Item:
    amount = price.get("unit_amount", price.get("amount"))
    if amount is None and price.get("unit_amount_decimal") is not None:
        amount = round(float(price["unit_amount_decimal"]))
    recurring = price.get("recurring") or price
    interval = str(recurring.get("interval") or "month")
    return Item(
        amount=int(amount or 0),
        interval=interval if interval in MONTHS_PER else "month",  # type: ignore[arg-type]
        interval_count=int(recurring.get("interval_count") or 1),
        quantity=int(line.get("quantity") or 0) if line.get("quantity") is not None else 1,
    )


def _discount(obj: dict[str, Any]) -> Discount | None:
    found = obj.get("discount")
    if not isinstance(found, dict):
        found = next((d for d in obj.get("discounts") or [] if isinstance(d, dict)), None)
    if found is None:
        return None
    coupon = found.get("coupon") or (found.get("source") or {}).get("coupon") or {}
    if not isinstance(coupon, dict):
        return None
    return Discount(
        percent_off=float(coupon.get("percent_off") or 0.0),
        amount_off=int(coupon.get("amount_off") or 0),
        end=instant(found.get("end")),
    )


def _id(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("id", ""))
    return "" if value is None else str(value)
