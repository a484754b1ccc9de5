"""Which policy and tier apply to a customer (the policy file the directory names for it)."""

from __future__ import annotations

from sla.models import Customer
from sla.policy import Policy, builtin_policy


def policy_of(customer: Customer) -> Policy:
    return builtin_policy(customer.policy)


def tier_of(customer: Customer) -> str | None:
    """The customer's tier; a policy with tiers puts a customer without one in its first tier,
    so nobody gets a tier's extras (Perplex First Class) by omission."""
    tiers = policy_of(customer).doc.tiers
    if customer.tier is None and tiers:
        return tiers[0]
    return customer.tier
