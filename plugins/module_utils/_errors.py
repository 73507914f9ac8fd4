# Copyright (c) kapal.docker contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one place that turns engine, SDK and transport errors into messages for people.

Everything here is private to the collection (the module name starts with an underscore).
Modules and plugins raise or receive ``KapalError``; its text is the whole, one-line message.
"""

from __future__ import annotations

import errno
import os
import ssl

# Lower-case reasons for the transport errors people actually meet.
_ERRNO_REASONS = {
    errno.ENOENT: "no such socket or file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ECONNREFUSED: "connection refused",
    errno.ECONNRESET: "connection reset by peer",
    errno.EHOSTUNREACH: "host unreachable",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: "timed out",
}


class KapalError(Exception):
    """A failure whose text is already the complete, one-line message for the user."""


class PartialFailure(KapalError):
    """A failure that comes with a result to report: ``result`` (a dict, e.g. ``changed`` and what was
    done before the failure) is returned with the failure message."""

    def __init__(self, message, result):
        super().__init__(message)
        self.result = result


class EngineUnreachable(KapalError):
    """The engine could not be reached at all (socket, TCP or TLS handshake)."""


class RegistryUnreachable(KapalError):
    """The module's host could not reach a registry (refused, timed out, TLS failed): the engine may still."""


class EngineNotFound(KapalError):
    """The engine answered 404 for the object that was asked for."""


class EngineConflict(KapalError):
    """The engine answered 409: the object is in a state that forbids the request."""


def one_line(text) -> str:
    """Collapse whitespace so that a message never spans lines."""
    return " ".join(str(text).split())


def _chain(exc):
    """Yield an exception and everything it wraps (cause, context, args, urllib3 reasons)."""
    seen = set()
    todo = [exc]
    while todo:
        cur = todo.pop(0)
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        reason = getattr(cur, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        todo.append(cur.__cause__)
        todo.append(cur.__context__)
        todo.extend(arg for arg in getattr(cur, "args", ()) if isinstance(arg, BaseException))


def transport_reason(exc) -> str:
    """The shortest true reason for a failed connection: 'connection refused', 'permission denied'..."""
    chain = list(_chain(exc))
    # ssl.SSLError is an OSError whose errno is an SSL code, not an errno: look for it first.
    for cur in chain:
        if isinstance(cur, ssl.SSLError):
            detail = one_line(getattr(cur, "verify_message", None) or cur.reason or cur)
            if "BAD_CERTIFICATE" in detail or "CERTIFICATE_REQUIRED" in detail:
                return "TLS handshake failed: the engine refused the client certificate (%s; check client_cert and client_key)" % detail
            if isinstance(cur, ssl.SSLCertVerificationError):
                return "TLS handshake failed: %s (check ca_path)" % detail
            return "TLS handshake failed: %s" % detail
    for cur in chain:
        if isinstance(cur, OSError) and cur.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[cur.errno]
    for cur in chain:
        if "Timeout" in type(cur).__name__:
            return "timed out"
        if isinstance(cur, OSError) and cur.strerror:
            return cur.strerror.lower()
    return one_line(_innermost_text(exc))


def _innermost_text(exc) -> str:
    texts = [str(cur) for cur in _chain(exc) if str(cur)]
    return texts[-1] if texts else type(exc).__name__


def api_reason(exc) -> str:
    """What the engine said in an HTTP error answer, without the SDK's URL noise."""
    explanation = getattr(exc, "explanation", None)
    if isinstance(explanation, bytes):
        explanation = explanation.decode("utf-8", "replace")
    if not explanation:
        response = getattr(exc, "response", None)
        explanation = getattr(response, "reason", None) or str(exc)
    return one_line(explanation)


def missing_file(option: str, path: str) -> KapalError:
    """The message for an option that names a file that is not there or not readable."""
    if not os.path.exists(path):
        return KapalError("%s: no such file: %s" % (option, path))
    return KapalError("%s: cannot read file: %s" % (option, path))
