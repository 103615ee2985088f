"""Models, one module per aggregate; import them from here."""

from webapp.models.binding import Application, Binding
from webapp.models.customers import Account, AuditEvent, Customer

__all__ = ["Account", "Application", "AuditEvent", "Binding", "Customer"]
