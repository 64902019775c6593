"""The account's support groups, including the "VIP Support" group the cookbook routes VIPs to."""

from __future__ import annotations

from typing import Any

from sandbox.zendesk.users import STAFF_GROUP_ID

GROUPS: tuple[tuple[int, str, str], ...] = (
    (STAFF_GROUP_ID, "Support", "First-line support for every customer"),
    (STAFF_GROUP_ID + 1, "Billing", "Invoices, refunds and payment questions"),
    (STAFF_GROUP_ID + 2, "Returns", "Returns and exchanges"),
    (STAFF_GROUP_ID + 3, "VIP Support", "Priority handling for VIP and high-value customers"),
)
GROUP_IDS = [group_id for group_id, _name, _description in GROUPS]


def group_json(group: tuple[int, str, str], base_url: str, created_at: str) -> dict[str, Any]:
    group_id, name, description = group
    return {
        "url": f"{base_url}/api/v2/groups/{group_id}.json",
        "id": group_id,
        "name": name,
        "description": description,
        "default": group_id == STAFF_GROUP_ID,
        "deleted": False,
        "is_public": True,
        "created_at": created_at,
        "updated_at": created_at,
    }
