"""CAD integration: NENA EIDO input, call versions, signed webhooks, agency code tables.

Importing the package installs the webhook outbox hook (an ``after_flush`` listener on every
ORM session), so any process that stores recommendations or decisions writes their events.
"""

from service.integrations import webhooks as _webhooks  # noqa: F401 - installs the outbox hook
