"""Bearer-token authentication of the HIS and REST channels.

Why: the token lives in an environment variable named in ``credentials.yml``, never in
the file; a required token that is not set closes the channel (503 ``not_configured``)
instead of opening it, and the comparison takes constant time.
"""

from __future__ import annotations

import hmac
import logging
import os
from typing import Any, Dict, FrozenSet, Optional

from sanic.request import Request

from bot.channels.base import ChatChannel
from bot.channels.config import LIMIT_SETTINGS, check_known_keys, read_limits
from bot.channels.errors import ChannelConfigError, RequestError

logger = logging.getLogger(__name__)


def read_token(section: str, token_env: Any) -> Optional[str]:
    """The bearer token from the environment variable ``token_env`` (None, with a warning, when unset)."""
    if not isinstance(token_env, str) or not token_env:
        raise ChannelConfigError(f"credentials.yml: 'token_env' must be a variable name, got {token_env!r}")
    token = os.environ.get(token_env, "")
    if not token:
        logger.warning(
            "%s: environment variable %s is unset or empty; this channel will answer "
            "503 not_configured to every request",
            section,
            token_env,
        )
    return token or None


def check_bearer(request: Request, token: Optional[bytes], token_env: str, channel: str) -> None:
    """503 when no token is configured, 401 unless ``Authorization: Bearer`` matches (constant time)."""
    if token is None:
        raise RequestError(
            503, "not_configured", f"the {channel} channel is disabled: {token_env} is not set on the server"
        )
    scheme, _, presented = (request.headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise RequestError(401, "unauthorized", "missing 'Authorization: Bearer <token>' header")
    try:  # header bytes that are not UTF-8 reach us as escaped surrogates: compare the raw bytes
        presented_bytes = presented.strip().encode("utf-8", errors="surrogateescape")
    except UnicodeError:
        raise RequestError(401, "unauthorized", "invalid token") from None
    if not hmac.compare_digest(presented_bytes, token):
        raise RequestError(401, "unauthorized", "invalid token")


class TokenChannel(ChatChannel):
    """A channel behind ``Authorization: Bearer <token>``, the token read from the variable ``token_env``.

    With ``DEFAULT_TOKEN_ENV`` set (HIS) the token is always required; without it (REST)
    only when the section names ``token_env``. A required token whose variable is unset
    closes the channel (503 ``not_configured``): it never opens it.
    """

    DEFAULT_TOKEN_ENV: Optional[str] = None
    SETTINGS: FrozenSet[str] = frozenset({"token_env"}) | LIMIT_SETTINGS

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[str, Any]]) -> TokenChannel:
        config = dict(credentials or {})
        check_known_keys(cls.SECTION, config, cls.SETTINGS)
        token_env = config.get("token_env") or cls.DEFAULT_TOKEN_ENV
        token = read_token(cls.SECTION, token_env) if token_env is not None else None
        return cls(
            token=token, token_env=token_env, require_token=token_env is not None, **read_limits(config)
        )

    def __init__(
        self,
        token: Optional[str] = None,
        token_env: Optional[str] = None,
        require_token: Optional[bool] = None,
        **limits: Any,
    ) -> None:
        super().__init__(**limits)
        self.token = token.encode("utf-8") if token else None
        self.token_env = token_env or self.DEFAULT_TOKEN_ENV or ""
        if require_token is None:
            require_token = token is not None or self.DEFAULT_TOKEN_ENV is not None
        self.require_token = require_token

    def authorize(self, request: Request) -> None:
        """503 when a required token is not configured, 401 unless the bearer token matches."""
        if self.require_token:
            check_bearer(request, self.token, self.token_env, self.name().upper())
