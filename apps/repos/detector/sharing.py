"""Work shared between this process and a forked helper process kept for the next analyses.

A large tree is walked by two processes: listing and stat() calls dominate, and the kernel serves
two at once. Forking for each analysis costs more than the fork: every memory page either process
writes afterwards is copied first (about 1,700 pages, 5 µs each, on a 2-vCPU VM). A helper forked
once and kept has its own copies, so later analyses pay none of it.

For each job, this process sends the helper the job (pickled) and two pipes over a Unix socket:
one holding the numbers of the pieces of work, the other for the results. Both processes claim
numbers from the first pipe: a read of a few bytes from a pipe is atomic, so each number goes to
exactly one of them, and whoever is free takes the next. The helper sends each result as soon as
it has it (one pickle stream, cut into messages), and this process merges them between its own
pieces. Whatever the helper did not report (it died, or could not be started) is done here. A
helper that failed is replaced at the next job; it exits when this process closes its socket
(this process exits), and a process forked from this one never uses it.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import io
import os
import pickle
import signal
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

CLAIM_BYTES = 4
# Claims are all written before the helper starts, so they must fit in a pipe's buffer (64 KiB
# on Linux, 4 KiB guaranteed by POSIX as PIPE_BUF).
MAX_CLAIMS = 1024
JOB_LENGTH = struct.Struct("<I")
# A result: (piece number, payload length), then the pickled result.
MESSAGE_HEADER = struct.Struct("<II")
RESULT_PIPE_BYTES = 1024 * 1024  # Linux's default limit for an unprivileged process
READ_BYTES = 64 * 1024

Work = Callable[[Any, int], Any]  # (job, piece number) -> picklable result


class Helper:
    """A forked process that runs ``work`` on the pieces of work it claims, job after job."""

    def __init__(self, key: tuple[object, ...], work: Work) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            pid = os.fork()
        except OSError:
            ours.close()
            theirs.close()
            raise
        if pid == 0:  # the helper: never returns into the caller's code
            status = 1
            try:
                ours.close()
                _keep_only(theirs.fileno())
                _serve(theirs, work)
                status = 0
            finally:
                os._exit(status)
        theirs.close()
        self.key = key
        self.pid = pid
        self.socket = ours

    def submit(self, job: Any, queue: int, results: int) -> bool:
        payload = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        try:
            socket.send_fds(self.socket, [JOB_LENGTH.pack(len(payload))], [queue, results])
            self.socket.sendall(payload)
        except OSError:
            return False
        return True

    def close(self) -> None:
        """Stop the helper without waiting for it: closing the socket ends its loop."""
        self.socket.close()
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        threading.Thread(target=_reap, args=(self.pid,), daemon=True).start()


_helper: Helper | None = None
_lock = threading.Lock()


def _forget_helper_after_fork() -> None:
    """A forked process must not share the helper: it would compete for its jobs, and keep the
    socket open (the helper ends when the socket's last holder closes it)."""
    global _helper, _lock
    if _helper is not None:
        _helper.socket.close()
    _helper = None
    _lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_helper_after_fork)


def share(
    job: Any,
    pieces: int,
    key: tuple[object, ...],
    work: Work,
    work_here: Callable[[int], None],
    merge: Callable[[Any], None],
) -> None:
    """Do pieces ``0 .. pieces-1`` of ``job``, here with ``work_here`` and in the helper with
    ``work`` (created for ``key`` and reused while the key's objects are the same); ``merge`` takes
    each of the helper's results."""
    if pieces > MAX_CLAIMS:
        raise ValueError(f"at most {MAX_CLAIMS} pieces of work, not {pieces}")
    done: set[int] = set()
    if _lock.acquire(blocking=False):  # otherwise another thread has the helper
        try:
            helper = _helper_for(key, work)
            if helper is not None:
                done = _run(helper, job, pieces, work_here, merge)
        finally:
            _lock.release()
    for number in range(pieces):
        if number not in done:
            work_here(number)


def _helper_for(key: tuple[object, ...], work: Work) -> Helper | None:
    """The helper built for ``key``'s objects, forked now if there is none; None if it cannot be."""
    global _helper
    if _helper is not None and not _same_objects(_helper.key, key):
        _discard_helper()
    if _helper is None:
        try:
            _helper = Helper(key, work)
        except OSError:  # no more processes or descriptors
            return None
    return _helper


def _run(
    helper: Helper,
    job: Any,
    pieces: int,
    work_here: Callable[[int], None],
    merge: Callable[..., Any],
) -> set[int]:
    """Share the pieces with ``helper``; return those done (all of them unless it failed)."""
    descriptors: list[int] = []
    try:
        queue_read, queue_write = os.pipe()
        descriptors += (queue_read, queue_write)
        os.write(queue_write, b"".join(n.to_bytes(CLAIM_BYTES, "little") for n in range(pieces)))
        os.close(descriptors.pop())
        result_read, result_write = os.pipe()
        descriptors += (result_read, result_write)
        with contextlib.suppress(AttributeError, OSError):  # not Linux, or over the limit
            fcntl.fcntl(result_write, fcntl.F_SETPIPE_SZ, RESULT_PIPE_BYTES)
        submitted = helper.submit(job, queue_read, result_write)
        os.close(descriptors.pop())  # the helper has its own copy: the stream ends with it
    except OSError:  # no more descriptors
        submitted = False
    if not submitted:  # everything is done here
        for descriptor in descriptors:
            os.close(descriptor)
        _discard_helper()
        return set()
    done = set()
    inbox = _Inbox(result_read, merge)
    os.set_blocking(result_read, False)
    for number in _claims(queue_read):
        work_here(number)
        done.add(number)
        done.update(inbox.receive())
    os.close(queue_read)
    os.set_blocking(result_read, True)
    done.update(inbox.receive())  # the rest, up to the end of the stream
    os.close(result_read)
    if len(done) < pieces:  # the helper failed: a new one for the next job
        _discard_helper()
    return done


def _same_objects(known: tuple[object, ...], key: tuple[object, ...]) -> bool:
    return len(known) == len(key) and all(a is b for a, b in zip(known, key, strict=True))


def _discard_helper() -> None:
    global _helper
    if _helper is not None:
        _helper.close()
        _helper = None


def _keep_only(descriptor: int) -> None:
    """Close what the helper inherited (database and broker connections, a worker pool's pipes)
    but the standard streams and its socket, so that it keeps none of them open. Objects from
    the parent are frozen first: none is ever collected here, so no finalizer can close a
    descriptor number the helper has since reused."""
    gc.freeze()
    os.closerange(3, descriptor)
    os.closerange(descriptor + 1, os.sysconf("SC_OPEN_MAX"))


def _serve(connection: socket.socket, work: Work) -> None:
    while True:
        header, descriptors, _, _ = socket.recv_fds(connection, JOB_LENGTH.size, 2)
        if not header:
            return  # the process that forked this one is gone
        queue, results = descriptors
        try:
            header += _receive(connection, JOB_LENGTH.size - len(header))
            (length,) = JOB_LENGTH.unpack(header)
            job = pickle.loads(_receive(connection, length))  # noqa: S301 - from our parent
            outbox = _Outbox(results)
            for number in _claims(queue):
                outbox.send(number, work(job, number))
        finally:
            os.close(queue)
            os.close(results)


def _receive(connection: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            raise EOFError("the job was cut short")
        data += chunk
    return bytes(data)


def _claims(queue: int) -> Iterator[int]:
    while claim := os.read(queue, CLAIM_BYTES):
        yield int.from_bytes(claim, "little")


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)


class _Outbox:
    """The helper's results as messages: a header (piece number, length), then the result. All
    of a job's results are one pickle stream, so classes are written only once."""

    def __init__(self, descriptor: int) -> None:
        self.descriptor = descriptor
        self.stream = io.BytesIO()
        self.pickler = pickle.Pickler(self.stream, protocol=pickle.HIGHEST_PROTOCOL)

    def send(self, number: int, result: Any) -> None:
        self.pickler.dump(result)
        payload = self.stream.getvalue()
        self.stream.seek(0)
        self.stream.truncate()
        message = memoryview(MESSAGE_HEADER.pack(number, len(payload)) + payload)
        while message:
            message = message[os.write(self.descriptor, message) :]


class _Inbox:
    """This process's side of the helper's messages, read in the order they were sent."""

    def __init__(self, descriptor: int, merge: Callable[[Any], None]) -> None:
        self.descriptor = descriptor
        self.merge = merge
        self.buffer = bytearray()
        self.message = io.BytesIO()
        self.unpickler = pickle.Unpickler(self.message)  # noqa: S301 - our own helper's output

    def receive(self) -> list[int]:
        """Merge every complete message; return their piece numbers. Reads what is there on a
        non-blocking descriptor, everything up to the end on a blocking one."""
        try:
            while chunk := os.read(self.descriptor, READ_BYTES):
                self.buffer += chunk
        except BlockingIOError:
            pass
        numbers = []
        offset = 0
        while len(self.buffer) - offset >= MESSAGE_HEADER.size:
            number, length = MESSAGE_HEADER.unpack_from(self.buffer, offset)
            start = offset + MESSAGE_HEADER.size
            if len(self.buffer) - start < length:
                break  # the rest of it is still on its way (or the helper died while sending)
            self.message.seek(0)
            self.message.truncate()
            self.message.write(self.buffer[start : start + length])
            self.message.seek(0)
            self.merge(self.unpickler.load())
            numbers.append(number)
            offset = start + length
        del self.buffer[:offset]
        return numbers
