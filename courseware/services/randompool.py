"""Random tokens from the operating system's CSPRNG, read a few kilobytes at a time.

`secrets.token_hex(16)` is one `getrandom` system call per token, and Python releases the GIL around it, so in a
threaded server each token lets another request's thread take over (a thread switch and back). The module page
makes a one-time quiz token on every view, so tokens come from a buffer of `os.urandom` output instead: the same
generator, one system call per 256 tokens. Bytes are handed out once and never reused; a forked child process
starts with an empty buffer, so two processes never share bytes.
"""
import os
import threading

CHUNK = 4096


class RandomPool:
    def __init__(self, chunk: int = CHUNK):
        self.chunk = chunk
        self._reset()

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._buffer = b""
        self._pos = 0

    def token_bytes(self, n: int) -> bytes:
        if n > self.chunk:
            return os.urandom(n)
        with self._lock:
            if self._pos + n > len(self._buffer):
                self._buffer, self._pos = os.urandom(self.chunk), 0
            start = self._pos
            self._pos += n
            return self._buffer[start:self._pos]

    def token_hex(self, n: int) -> str:
        return self.token_bytes(n).hex()


POOL = RandomPool()
os.register_at_fork(after_in_child=POOL._reset)


def token_hex(nbytes: int) -> str:
    """Like secrets.token_hex (see the module docstring)."""
    return POOL.token_hex(nbytes)
