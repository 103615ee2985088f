"""Models, one module per aggregate; import them from here."""

from webapp.models.customers import Account, AuditEvent, Customer

__all__ = ["Account", "AuditEvent", "Customer"]
