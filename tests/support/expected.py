"""Mart values computed straight from the sample generator's snapshots, independent of dbt."""

from __future__ import annotations

import hashlib
from decimal import Decimal

import pytest

from elt_pipeline.lib.sample_data import Snapshot

REVENUE_STATUSES = {"placed", "shipped", "delivered"}
FEATURE_COLUMNS = [
    "email_sha256",
    "country_code",
    "is_marketing_opt_in",
    "tenure_days",
    "n_orders",
    "n_cancelled",
    "n_returned",
    "total_revenue",
    "avg_order_value",
    "days_since_last_order",
    "n_orders_last_30d",
]


def expected_customer_features(snapshot: Snapshot, salt: str) -> dict[str, dict]:
    """customer_key -> the features fct_customer_features must hold for this snapshot."""
    day = snapshot.dump_date
    revenue: dict[int, Decimal] = {}
    for order_id, _line, _product, quantity, unit_price in snapshot.tables["order_items"]:
        revenue[order_id] = revenue.get(order_id, Decimal(0)) + quantity * unit_price
    orders_of: dict[int, list[tuple]] = {}
    for order in snapshot.tables["orders"]:
        orders_of.setdefault(order[1], []).append(order)
    features = {}
    for cid, email, _pw, _name, country, signup_at, opt_in, _notes in snapshot.tables["customers"]:
        orders = orders_of.get(cid, [])
        valid = [o for o in orders if o[2] in REVENUE_STATUSES]
        not_cancelled = [o for o in orders if o[2] != "cancelled"]
        total = sum((revenue.get(o[0], Decimal(0)) for o in valid), Decimal(0))
        last_order = max((o[3].date() for o in not_cancelled), default=None)
        features[f"{snapshot.source_db}:{cid}"] = {
            "email_sha256": hashlib.sha256(salt.encode() + email.encode()).hexdigest(),
            "country_code": country,
            "is_marketing_opt_in": bool(opt_in),
            "tenure_days": (day - signup_at.date()).days,
            "n_orders": len(valid),
            "n_cancelled": sum(o[2] == "cancelled" for o in orders),
            "n_returned": sum(o[2] == "returned" for o in orders),
            "total_revenue": total,
            "avg_order_value": float(total / len(valid)) if valid else None,
            "days_since_last_order": (day - last_order).days if last_order else None,
            "n_orders_last_30d": sum((day - o[3].date()).days < 30 for o in valid),
        }
    return features


def assert_features_equal(actual: dict[str, dict], expected: dict[str, dict]) -> None:
    """Mart rows (customer_key -> FEATURE_COLUMNS values) equal the expected features."""
    assert actual.keys() == expected.keys()
    for key, want in expected.items():
        got = actual[key]
        for column, value in want.items():
            if column == "avg_order_value" and value is not None:
                assert got[column] == pytest.approx(value, rel=1e-9), (key, column)
            elif column == "total_revenue":
                assert Decimal(got[column]) == value, (key, column)
            else:
                assert got[column] == value, (key, column)
