"""Personal data at rest: encryption, blind indexes for exact lookups, and masking.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256). Exact-match lookups go through a
keyed HMAC of the normalised value (the blind index), so no table is ever decrypted to search it.
Both keys are derived from one configured secret with HKDF, each for its own purpose.

A process remembers the plaintext of the last few thousand values it decrypted: every request
reads the same rows again (the signed-in customer, their accounts and binding), and a Fernet
decryption costs more than the query that fetched it. The cache holds nothing an attacker
with the process's memory could not decrypt anyway (the key is there too); it is emptied
whenever the key changes, and a value that fails authentication is never remembered.
"""

import base64
import functools
import hashlib
import hmac
import unicodedata

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from peewee import CharField, TextField

# Decrypted values a process keeps, most recently used first (see the module's docstring).
DECRYPTED_KEPT = 4096


class _Keyring:
    """Holds the derived keys; configured once by the app factory."""

    fernet = None
    index_key = None

    def configure(self, secret):
        """Derive the encryption and index keys from the configured secret."""
        _plaintext.cache_clear()
        material = secret.encode()
        self.fernet = Fernet(base64.urlsafe_b64encode(_derive(material, b"ssb-encryption")))
        self.index_key = _derive(material, b"ssb-blind-index")


def _derive(material, info):
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(material)


keyring = _Keyring()


def configure(secret):
    """Set the key used for all personal data."""
    keyring.configure(secret)


def normalise(value):
    """Fold full-width characters, strip spaces and upper-case an identifier."""
    folded = unicodedata.normalize("NFKC", str(value))
    return "".join(folded.split()).upper()


def encrypt(value):
    """Encrypt a string for storage."""
    return keyring.fernet.encrypt(value.encode()).decode()


def decrypt(token):
    """Decrypt a stored value; a value that fails authentication raises ValueError."""
    try:
        return _plaintext(token)
    except InvalidToken as exc:
        raise ValueError("personal data failed authentication") from exc


@functools.lru_cache(maxsize=DECRYPTED_KEPT)
def _plaintext(token):
    return keyring.fernet.decrypt(token.encode()).decode()


def blind_index(kind, value):
    """Keyed digest of a normalised identifier; the kind keeps digests of different kinds apart."""
    message = kind.encode() + b"\x00" + normalise(value).encode()
    return hmac.new(keyring.index_key, message, hashlib.sha256).hexdigest()


class Digest(str):
    """A blind-index value read back from the database (already hashed)."""


class EncryptedField(TextField):
    """A text column holding the value encrypted; reads back the plaintext."""

    def db_value(self, value):
        return None if value is None else encrypt(str(value))

    def python_value(self, value):
        return None if value is None else decrypt(value)


class BlindIndexField(CharField):
    """The blind index of another field; compare it with plaintext and it hashes that too."""

    def __init__(self, kind, source, **kwargs):
        kwargs.setdefault("max_length", 64)
        super().__init__(**kwargs)
        self.kind = kind
        self.source = source

    def db_value(self, value):
        if value is None or isinstance(value, Digest):
            return value
        return blind_index(self.kind, value)

    def python_value(self, value):
        return None if value is None else Digest(value)


def fill_blind_indexes(instance):
    """Set every blind index of a model instance from its source field."""
    for field in instance._meta.sorted_fields:
        if isinstance(field, BlindIndexField):
            source = getattr(instance, field.source)
            setattr(instance, field.name, None if source is None else normalise(source))


# Masking: what every page, log line and audit event shows instead of the full value.


def mask_id_number(value):
    """110101199003071234 -> 110101********1234."""
    if not value:
        return ""
    value = normalise(value)
    return value[:6] + "*" * max(len(value) - 10, 0) + value[-4:]


def mask_mobile(value):
    """+8613800138000 or 13800138000 -> 138****8000."""
    if not value:
        return ""
    digits = value[3:] if value.startswith("+86") else value
    return digits[:3] + "****" + digits[-4:]


def mask_tail(value):
    """Account or card number -> ****5678."""
    if not value:
        return ""
    return "****" + normalise(value)[-4:]


def mask_name(value):
    """王小明 -> 王*明; 王明 -> 王*; Zhang Wei -> Z**** W**."""
    if not value:
        return ""
    if " " in value.strip():
        return " ".join(part[0] + "*" * (len(part) - 1) for part in value.split())
    if len(value) <= 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]
