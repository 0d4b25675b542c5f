"""Signed messages between service centres (跨中心协同): the envelope and its kinds, the
signature and key rotation, and the mirror matter a received task runs under. Pure: no
I/O; the sending and receiving use cases live in ``runtime.services.exchange_*``."""

from runtime.exchange.envelope import KIND_LABELS, BadEnvelope, envelope, receipt
from runtime.exchange.mirror import is_mirror, mirror_matter
from runtime.exchange.signature import Key, env_name, keys_from, sign, verify

__all__ = ["KIND_LABELS", "BadEnvelope", "Key", "env_name", "envelope", "is_mirror",
           "keys_from", "mirror_matter", "receipt", "sign", "verify"]
