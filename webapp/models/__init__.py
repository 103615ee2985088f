"""Models, one module per aggregate; import them from here."""

from webapp.models.agents import AccessLog, Agent
from webapp.models.binding import Application, Binding, SignatureRecord
from webapp.models.customers import Account, AuditEvent, Customer
from webapp.models.payments import Payment
from webapp.models.verification import Challenge, SmsMessage, VerificationSubject

__all__ = [
    "AccessLog",
    "Account",
    "Agent",
    "Application",
    "AuditEvent",
    "Binding",
    "Challenge",
    "Customer",
    "Payment",
    "SignatureRecord",
    "SmsMessage",
    "VerificationSubject",
]
