"""Stripe and RevenueCat webhook events, shaped as their documentation shows them."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

_IDS = itertools.count(1)


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def subscription(
    sub: str,
    customer: str,
    *,
    amount: int,
    interval: str = "month",
    interval_count: int = 1,
    quantity: int = 1,
    currency: str = "usd",
    status: str = "active",
    trial_end: str | None = None,
    cancel_at_period_end: bool = False,
    period_end: str | None = None,
    percent_off: float | None = None,
    amount_off: int | None = None,
    discount_end: str | None = None,
) -> dict[str, Any]:
    """A ``subscription`` object (API 2024+: items carry their price and period)."""
    discount = None
    if percent_off is not None or amount_off is not None:
        discount = {
            "object": "discount",
            "coupon": {"object": "coupon", "percent_off": percent_off, "amount_off": amount_off},
            "end": epoch(discount_end) if discount_end else None,
        }
    return {
        "id": sub,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "currency": currency,
        "cancel_at_period_end": cancel_at_period_end,
        "cancel_at": None,
        "trial_end": epoch(trial_end) if trial_end else None,
        "discount": discount,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": f"si_{sub}",
                    "object": "subscription_item",
                    "quantity": quantity,
                    "current_period_end": epoch(period_end) if period_end else None,
                    "price": {
                        "id": f"price_{amount}_{interval}",
                        "object": "price",
                        "currency": currency,
                        "unit_amount": amount,
                        "recurring": {"interval": interval, "interval_count": interval_count},
                    },
                }
            ],
        },
    }


def event(kind: str, at: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{next(_IDS):06d}",
        "object": "event",
        "api_version": "2024-06-20",
        "created": epoch(at),
        "type": kind,
        "livemode": False,
        "data": {"object": obj},
    }


def invoice_paid(
    customer: str, at: str, amount: int, invoice: str, currency: str = "usd"
) -> dict[str, Any]:
    obj = {
        "id": invoice,
        "object": "invoice",
        "customer": customer,
        "amount_paid": amount,
        "currency": currency,
        "status": "paid",
    }
    return event("invoice.paid", at, obj)


def charge_refunded(
    customer: str, at: str, refunded: int, charge: str, currency: str = "usd"
) -> dict[str, Any]:
    obj = {
        "id": charge,
        "object": "charge",
        "customer": customer,
        "amount_refunded": refunded,
        "currency": currency,
        "refunded": True,
    }
    return event("charge.refunded", at, obj)


def revenuecat(
    kind: str,
    at: str,
    *,
    user: str,
    product: str,
    price: float,
    expires: str,
    purchased: str | None = None,
    period_type: str = "NORMAL",
    **extra: Any,
) -> dict[str, Any]:
    ms = lambda text: epoch(text) * 1000  # noqa: E731
    return {
        "api_version": "1.0",
        "event": {
            "id": f"rc_{next(_IDS):06d}",
            "type": kind,
            "app_user_id": user,
            "original_app_user_id": user,
            "product_id": product,
            "period_type": period_type,
            "purchased_at_ms": ms(purchased or at),
            "expiration_at_ms": ms(expires),
            "event_timestamp_ms": ms(at),
            "price": price,
            "price_in_purchased_currency": price,
            "currency": "USD",
            "original_transaction_id": f"otx_{user}",
            "transaction_id": f"tx_{next(_IDS)}",
            "store": "APP_STORE",
            **extra,
        },
    }
