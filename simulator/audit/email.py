"""E-mail address style, inferred from the text of the address the way a provider would.

The audit does not ask the simulator how an address was made: it reads the
domain (and the local part) like any log analyst.

* ``disposable``: a known throwaway-mail domain, or one whose name says so
  (``mailinator``, ``10minutemail``, ``tempmail``…);
* ``edu``: an academic domain: last label ``edu``, or ``edu``/``ac`` just before a
  two-letter country code (``ox.ac.uk``, ``usp.edu.br``);
* ``freemail``: a known consumer mailbox provider (``gmail.com``, ``web.de``,
  ``naver.com``…; any ``yahoo.``, ``hotmail.``, ``outlook.``, ``live.``,
  ``yandex.``, ``gmx.`` domain);
* ``corporate``: anything else (a company's own domain).
"""

from __future__ import annotations

import numpy as np

__all__ = ["EMAIL_STYLES", "email_style", "email_styles", "local_part_shape"]

EMAIL_STYLES: tuple[str, ...] = ("corporate", "freemail", "edu", "disposable")
"""The styles :func:`email_style` tells apart."""

_DISPOSABLE = frozenset(
    {
        "mailinator.com",
        "guerrillamail.com",
        "guerrillamail.net",
        "sharklasers.com",
        "10minutemail.com",
        "10minutemail.net",
        "tempmail.dev",
        "temp-mail.org",
        "yopmail.com",
        "trashmail.com",
        "throwawaymail.com",
        "getnada.com",
        "dispostable.com",
        "maildrop.cc",
        "mohmal.com",
        "fakeinbox.com",
    }
)
_DISPOSABLE_WORDS = ("mailinator", "guerrilla", "10minute", "tempmail", "temp-mail", "throwaway", "trashmail")

_FREEMAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "aol.com",
        "aol.de",
        "icloud.com",
        "me.com",
        "mac.com",
        "proton.me",
        "protonmail.com",
        "mail.com",
        "mail.ru",
        "bk.ru",
        "list.ru",
        "inbox.ru",
        "rambler.ru",
        "web.de",
        "t-online.de",
        "free.fr",
        "orange.fr",
        "wanadoo.fr",
        "laposte.net",
        "sfr.fr",
        "noos.fr",
        "voila.fr",
        "tiscali.fr",
        "tele2.fr",
        "club-internet.fr",
        "bouygtel.fr",
        "ifrance.com",
        "libero.it",
        "interia.pl",
        "o2.pl",
        "onet.pl",
        "wp.pl",
        "seznam.cz",
        "uol.com.br",
        "bol.com.br",
        "terra.com.br",
        "qq.com",
        "163.com",
        "126.com",
        "sina.com",
        "naver.com",
        "daum.net",
        "hanmail.net",
        "nate.com",
        "dreamwiz.com",
        "rediffmail.com",
        "telia.com",
        "spray.se",
        "swipnet.se",
        "dbmail.com",
        "yaani.com",
    }
)
_FREEMAIL_PREFIXES = ("yahoo.", "ymail.", "hotmail.", "outlook.", "live.", "msn.", "yandex.", "gmx.")


def email_style(domain: str) -> str:
    """The style of an e-mail ``domain`` (case-insensitive), one of :data:`EMAIL_STYLES`.

    >>> [email_style(d) for d in ("Gmail.com", "ox.ac.uk", "mit.edu", "mailinator.com", "acme.io")]
    ['freemail', 'edu', 'edu', 'disposable', 'corporate']
    """
    domain = domain.strip().lower().rstrip(".")
    if domain in _DISPOSABLE or any(word in domain for word in _DISPOSABLE_WORDS):
        return "disposable"
    labels = domain.split(".")
    if labels[-1] == "edu" or (len(labels) >= 3 and labels[-2] in ("edu", "ac") and len(labels[-1]) == 2):
        return "edu"
    if domain in _FREEMAIL or domain.startswith(_FREEMAIL_PREFIXES):
        return "freemail"
    return "corporate"


def email_styles(domains: np.ndarray | list[str]) -> np.ndarray:
    """:func:`email_style` of many domains (each distinct domain classified once): an
    object array of style names."""
    values = np.asarray(domains, dtype=object)
    if values.size == 0:
        return np.empty(0, dtype=object)
    uniques, inverse = np.unique(values.astype(str), return_inverse=True)
    styles = np.array([email_style(d) for d in uniques.tolist()], dtype=object)
    return styles[inverse]


def local_part_shape(emails: np.ndarray | list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Shape of the local part (before ``@``) of each address: the share of its
    characters that are digits, in [0, 1], and whether it contains a dot
    (``first.last``) as 0/1."""
    locals_ = [str(e).partition("@")[0] for e in np.asarray(emails, dtype=object).tolist()]
    digits = np.array([sum(c.isdigit() for c in part) / len(part) if part else 0.0 for part in locals_])
    dotted = np.array([1.0 if "." in part else 0.0 for part in locals_])
    return digits, dotted
