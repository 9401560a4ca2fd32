"""What every provider module speaks: three errors that tell the chain what to do, and what was sent.

DESIGN.md invariant 3: a provider raises ``Rejected`` (content policy: try
the next provider in the chain), ``Transient`` (timeouts, 429, 5xx: retry
with backoff) or ``Failed`` (anything else: next provider, or the job
fails). Each message is written for the person whose job it is, and never
carries a key, a token or image bytes.

Every call that sends a person's data out reports it through ``on_sent``
before it returns, so the processor log (who received what, when, under
which request id) is written even when the answer is an error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


class ProviderError(Exception):
    """Base of the three outcomes; ``provider`` is the display name ("OpenAI")."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(message)
        self.provider = provider
        self.message = message


class Rejected(ProviderError):
    """The provider refused the content (its safety system): the next provider may accept it."""


class Transient(ProviderError):
    """Worth retrying after a pause: a timeout, a rate limit, a server error."""

    def __init__(self, provider: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(provider, message)
        self.retry_after = retry_after


class Failed(ProviderError):
    """Neither a refusal nor worth retrying: a bad answer, a bad request, an expired key."""


@dataclass(frozen=True)
class Sent:
    """One transfer of a person's data to a third party, for the processor log."""

    provider: str  # display name, as the photo page says it: "sent to OpenAI on …"
    data: tuple[str, ...]  # what went: ("image", "prompt")
    request_id: str  # the provider's id for the request, "" when it gave none
    retention: str  # the provider's stated retention of inputs, in words


OnSent = Callable[[Sent], None]


@dataclass(frozen=True)
class ImageAnswer:
    """An image a provider made: encoded bytes as it returned them."""

    data: bytes
    content_type: str
    request_id: str


@dataclass(frozen=True)
class VideoAnswer:
    """An MP4 a provider made."""

    data: bytes
    request_id: str
