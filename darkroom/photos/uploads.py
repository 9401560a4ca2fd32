"""Byte limits enforced while the request body streams in.

Installed first in FILE_UPLOAD_HANDLERS, so it sees every multipart upload
(pages, the API, the admin) before Django buffers it anywhere:

- a request whose Content-Length is over the limit is answered without
  reading its body at all (``handle_raw_input`` short-circuits parsing);
- a file that grows past the limit while streaming is dropped at that point:
  an API request (one file) stops being read there; on the upload page the
  other files of the request still arrive (``SkipFile``).

Refusals are recorded on the request (``upload_refusals``) for the view to
answer with 413 and a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, SkipFile, StopUpload
from django.http import HttpRequest, QueryDict
from django.utils.datastructures import MultiValueDict

# Multipart framing (boundaries, part headers, the CSRF field) on top of the
# file itself; generous, since it only decides when to stop reading early.
_FRAMING_ALLOWANCE = 64 * 1024


@dataclass(frozen=True)
class Refusal:
    name: str
    reason: str
    status: int


def max_upload_bytes() -> int:
    return int(settings.PROFILE.photos.max_upload_mb * 1_000_000)


def too_big(size_mb: float | None = None) -> str:
    limit = settings.PROFILE.photos.max_upload_mb
    if size_mb is None:
        return f"The file is larger than the {limit} MB limit."
    return f"The file is {size_mb:.1f} MB; the limit is {limit} MB."


def refusals_of(request: HttpRequest) -> list[Refusal]:
    refusals: list[Refusal] = getattr(request, "upload_refusals", [])
    return refusals


class LimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of each uploaded file and stops a file at the profile's limit."""

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = max_upload_bytes()
        if request is not None and not hasattr(request, "upload_refusals"):
            request.upload_refusals = []  # type: ignore[attr-defined]

    def _refuse(self, name: str, reason: str) -> None:
        if self.request is not None:
            self.request.upload_refusals.append(Refusal(name, reason, 413))  # type: ignore[attr-defined]

    @property
    def single_file(self) -> bool:
        """The API takes one file per request (the upload page sends each file on its own)."""
        return self.request is not None and self.request.path.startswith("/api/")

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> tuple[QueryDict, MultiValueDict[str, Any]] | None:
        files_allowed = 1 if self.single_file else settings.DATA_UPLOAD_MAX_NUMBER_FILES
        if content_length > self.limit * files_allowed + _FRAMING_ALLOWANCE:
            # Not one byte of the body is read: an empty form is returned.
            self._refuse("", too_big(content_length / 1_000_000))
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse(self.file_name or "photo", too_big())
            if self.single_file:
                # Nothing else can follow: stop reading the body here.
                raise StopUpload(connection_reset=True)
            raise SkipFile
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) builds the file
