"""Revenue: subscription state rebuilt from Stripe / RevenueCat events, and its metrics.

Importing this package registers ``RevenueQuery``.
"""

from heron.revenue import query as query

__all__ = ["query"]
