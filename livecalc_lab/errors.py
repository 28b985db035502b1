"""The exception hierarchy of LiveCalc Lab.

Every error the package raises on purpose derives from :class:`LivecalcError`, so
``except lc.LivecalcError`` catches them all. Messages quote the offending value
and say where it was found (file, row, column) so the user can fix the input
without a debugger; :func:`plain` quotes a numpy value as the number it holds.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LivecalcError", "DataError", "AssumptionError", "EngineError", "StatsError", "AuthError", "ConfigError",
           "JobError", "plain"]


def plain(value: Any) -> Any:
    """``value`` as a message should quote it: a numpy scalar as the Python number (or text) it holds.

    numpy 2 writes ``repr(np.float64(1.1))`` as ``np.float64(1.1)``; messages show
    values as the user wrote them, so ``f"{plain(x)!r}"`` gives ``1.1`` (and ``5`` for
    ``np.int64(5)``, ``'M'`` for ``np.str_('M')``). Any other value is returned as it is.
    """
    item = getattr(value, "item", None)
    if item is not None and type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return item()
    return value


class LivecalcError(Exception):
    """Root of every error raised by LiveCalc Lab."""


class DataError(LivecalcError):
    """Policy data that cannot be valued as given.

    Raised for a missing column, a malformed or out-of-range value, or a
    policy the chosen product cannot value. The message names the file, the
    1-based data row (the header is row 0), the column and the value.
    """


class AssumptionError(LivecalcError):
    """An assumption set that is malformed or does not cover the policies.

    Raised for a bad manifest, a table with a missing or malformed value, an
    unknown product, or a policy whose ages, terms or months fall outside a table.
    """


class EngineError(LivecalcError):
    """The projection engine failed: ABI mismatch, trap, timeout or memory limit.

    Attributes
    ----------
    call : str
        Name of the exported engine function that was running.
    policy_index : int or None
        0-based index, within the batch passed to the call, of the policy the
        kernel was working on when it failed (``None`` if not known).
    """

    def __init__(self, message: str, *, call: str = "", policy_index: int | None = None):
        super().__init__(message)
        self.call = call
        self.policy_index = policy_index


class StatsError(LivecalcError, ValueError):
    """Input that a statistic cannot be computed from.

    Raised for an empty or non-finite sample, a percentile or CTE level out of
    range, accumulators that cannot be merged, or a tail buffer too small for the
    CTE asked of it. It is also a :class:`ValueError`, so callers that catch
    ``ValueError`` keep working.
    """


class AuthError(LivecalcError):
    """A request or token that the Data API does not accept.

    Raised for a missing, malformed, expired or wrongly signed token, a wrong
    issuer or audience (``status`` 401), and for a valid token without the scope
    a dataset needs (``status`` 403). Messages never quote the token or a secret.

    Attributes
    ----------
    status : int
        The HTTP status the service answers with (401 or 403).
    """

    def __init__(self, message: str, *, status: int = 401):
        super().__init__(message)
        self.status = status


class ConfigError(LivecalcError):
    """A configuration file (``config.toml``, ``livecalc serve --config``) that cannot be used.

    Raised for invalid TOML, an unknown key, a secret written in the file
    instead of referenced, an unset environment variable a credential refers
    to, or a service that cannot start as configured (no JWT secret or key).
    """
class JobError(LivecalcError):
    """A chunked job that cannot run or did not finish: bad configuration, a failed or missing chunk.

    Attributes
    ----------
    job_id : str or None
        The job concerned.
    chunk : int or None
        Index of the chunk (in the job's plan) the error is about, when there is one.
    """

    def __init__(self, message: str, *, job_id: str | None = None, chunk: int | None = None):
        super().__init__(message)
        self.job_id = job_id
        self.chunk = chunk
