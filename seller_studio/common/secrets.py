"""Stream keys and platform tokens live only in the OS keyring.

On a machine without a usable keyring backend the secret is kept in memory for this session only
and ``SecretStore.is_persistent`` says so, so the UI can tell the seller plainly.
"""

from __future__ import annotations

import logging
import threading


class _Keyring:
    """``keyring``, imported at first use: a command that needs no secret (``stream --no-key``,
    ``--key-env``) does not pay for finding the keyring backends at start-up."""

    def __getattr__(self, name: str):  # noqa: ANN204 - whatever the keyring module holds
        import keyring
        import keyring.errors  # noqa: F401 - keyring.errors is read as an attribute

        return getattr(keyring, name)


keyring = _Keyring()

log = logging.getLogger(__name__)

SERVICE = "seller-studio"


class SecretStore:
    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self._memory: dict[str, str] = {}
        self._lock = threading.Lock()
        self.is_persistent = keyring_available()

    def get(self, name: str) -> str | None:
        with self._lock:
            if name in self._memory:
                return self._memory[name]
        if not self.is_persistent:
            return None
        try:
            return keyring.get_password(self.service, name)
        except keyring.errors.KeyringError as exc:
            log.warning("keyring read failed: %s", type(exc).__name__)
            return None

    def set(self, name: str, value: str) -> bool:
        """Store a secret. Returns True if it was saved in the keyring, False if memory only."""
        if self.is_persistent:
            try:
                keyring.set_password(self.service, name, value)
                with self._lock:
                    self._memory.pop(name, None)
                return True
            except keyring.errors.KeyringError as exc:
                log.warning("keyring write failed (%s); keeping the secret in memory", type(exc).__name__)
        with self._lock:
            self._memory[name] = value
        return False

    def delete(self, name: str) -> None:
        with self._lock:
            self._memory.pop(name, None)
        if self.is_persistent:
            try:
                keyring.delete_password(self.service, name)
            except keyring.errors.PasswordDeleteError:
                pass
            except keyring.errors.KeyringError as exc:
                log.warning("keyring delete failed: %s", type(exc).__name__)


def keyring_available() -> bool:
    backend = keyring.get_keyring()
    # The fail backend (and chainer with nothing in it) has priority 0 or below.
    try:
        return float(getattr(backend, "priority", 0)) > 0
    except Exception:
        return False


def stream_key_name(destination_id: str) -> str:
    return f"stream-key:{destination_id}"


def platform_token_name(destination_id: str) -> str:
    return f"platform-token:{destination_id}"
