"""An upload handler that refuses an oversized CSV import before any of it reaches the disk.

Django's default handlers spool a file over FILE_UPLOAD_MAX_MEMORY_SIZE to a temporary file as
it arrives, so a size check after parsing comes after the whole upload was written. Installed
first in `request.upload_handlers`, this one decides on the announced Content-Length before the
first chunk reaches the next handler, and stops a body that grows past the limit anyway.
"""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class ImportSizeLimitUploadHandler(FileUploadHandler):
    def __init__(self, request=None, *, max_bytes: int, allowance: int) -> None:
        super().__init__(request)
        self.max_bytes = max_bytes
        self.allowance = allowance
        self.body_length = 0
        self.received = 0
        # The size that made the upload stop (the announced length, or the bytes received).
        self.refused_size: int | None = None

    def handle_raw_input(
        self, input_data, META, content_length, boundary, encoding=None
    ) -> None:  # Django's signature
        self.body_length = content_length

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        if self.body_length > self.max_bytes + self.allowance:
            self.refused_size = self.body_length
            # Read and drop the rest of the body, so the browser gets the page, not a reset.
            raise StopUpload(connection_reset=False)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.max_bytes:
            self.refused_size = self.received
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None
