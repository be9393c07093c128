"""How a patient is authenticated. The web needs one thing from a login: the personnummer of
the person who proved who they are. Whatever proves it is an ``IdentityProvider``.

The development login (``DevLogin``) takes a personnummer typed into a form and is on only when
``EPH_CITIZEN_WEB_DEV_LOGIN`` is set; its page says plainly that it is not an e-identity.

The seam for a real e-identity (BankID, Freja eID+ through the region's identity broker, with
OpenID Connect) is the same interface, called at two places of the login flow:

* ``start(state, nonce)`` gives the address of the provider's authorization endpoint
  (``response_type=code``, ``scope=openid`` plus the broker's personnummer scope, the web's
  ``redirect_uri`` ``/logga-in/klar``, PKCE); the view keeps ``state`` and ``nonce`` in the
  not-yet-authenticated session cookie and sends the browser there;
* ``finish(query, state, nonce)`` is called on the return to ``/logga-in/klar``: it checks
  ``state``, exchanges the code at the token endpoint, verifies the ID token (issuer, audience,
  signature against the provider's JWKS, expiry, ``nonce``, a level of assurance of at least
  LoA3) and returns the personnummer from the broker's claim (e.g. ``personalIdentityNumber``).

After ``finish`` the web does what it does after the development login: a new session cookie
holding only that personnummer. No provider is configured in this project.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Protocol

from ..roles import luhn_digit


class IdentityProvider(Protocol):
    def start(self, state: str, nonce: str) -> str:
        """Where to send the browser to log in."""
        ...

    def finish(self, query: Mapping[str, str], state: str, nonce: str) -> str | None:
        """The authenticated personnummer, or None when the login failed or was abandoned."""
        ...


def valid_personnummer(text: str) -> str | None:
    """The 12 digits of a personnummer or samordningsnummer (dash or plus allowed), if its date and
    check digit hold."""
    digits = text.strip().replace("-", "").replace("+", "").replace(" ", "")
    if len(digits) != 12 or not digits.isdigit():
        return None
    year, month, day = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    if day > 60:
        day -= 60
    try:
        date(year, month, day)
    except ValueError:
        return None
    if luhn_digit(digits[2:11]) != int(digits[11]):
        return None
    return digits
