"""Mart values computed straight from the sample generator's snapshots, independent of dbt."""

from __future__ import annotations

import hashlib
from decimal import Decimal

from elt_pipeline.lib.sample_data import Snapshot

REVENUE_STATUSES = {"placed", "shipped", "delivered"}


def expected_customer_features(snapshot: Snapshot, salt: str) -> dict[str, dict]:
    """customer_key -> the features fct_customer_features must hold for this snapshot."""
    day = snapshot.dump_date
    revenue: dict[int, Decimal] = {}
    for order_id, _line, _product, quantity, unit_price in snapshot.tables["order_items"]:
        revenue[order_id] = revenue.get(order_id, Decimal(0)) + quantity * unit_price
    features = {}
    for cid, email, _pw, _name, country, signup_at, opt_in, _notes in snapshot.tables["customers"]:
        orders = [o for o in snapshot.tables["orders"] if o[1] == cid]
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
