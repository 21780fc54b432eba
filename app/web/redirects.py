"""Where Plaza may send a browser it redirects: only to its own pages.

A ``next`` value in a link or a form is chosen by whoever wrote the link, so it
must never lead to another site (an open redirect lends Plaza's name to a
phishing page).
"""

from __future__ import annotations


def same_site_path(target: str | None) -> str | None:
    """``target`` when it is a path on this site, else None.

    Browsers drop tabs and newlines inside a URL and read a backslash as a
    slash, so ``/\\evil.example`` or ``/<tab>/evil.example`` would reach another
    host as ``//evil.example``: such targets are refused, not repaired.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(char) < 0x20 or ord(char) == 0x7F for char in target):
        return None
    return target
