"""Serving a test app with waitress in a thread, and stopping it cleanly.

waitress's ``server.run()`` loops until its socket map is empty; closing the server from another thread while
that loop is inside ``select()`` makes the loop fail with "Bad file descriptor", which pytest reports as an error
in the test's teardown. So the loop runs here in short steps and is told to stop, and joined, before the
server's sockets are closed, the connections still open included (else an unclosed socket's ResourceWarning,
an error under our warning filter).
"""

import contextlib
import threading

from waitress import wasyncore
from waitress.server import create_server


@contextlib.contextmanager
def serving(app, **options):
    """Yield the started waitress server (``effective_host``, ``effective_port``); stop it on leaving."""
    options.setdefault("host", "127.0.0.1")
    options.setdefault("port", 0)
    server = create_server(app, **options)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=serve, daemon=True, name="waitress-test-server")
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(5)
        server.task_dispatcher.shutdown()
        wasyncore.close_all(server._map)  # the listening socket and any connection still open (a keep-alive one)
