"""`{% cache %}` for templates: keep the rendered output of a block whose inputs never change in a bounded LRU.

Use it only for output that is fully determined by its key, such as a module's content (a module row is never
changed after import: a re-import makes a new course version with new rows), and never for anything that depends
on the user, the session or a CSRF token:

    {% cache "module-content", module.id, module.render_hash, current_locale %}...{% endcache %}

The cache lives in the process, one per app, so several app servers each keep their own and nothing depends on
them agreeing. Keys hold the mount point (SCRIPT_NAME) too, because the URLs inside a fragment depend on it.
"""
import threading
from collections import OrderedDict

from flask import has_request_context, request
from jinja2 import nodes
from jinja2.ext import Extension

DEFAULT_ENTRIES = 512


class LRU:
    """A thread-safe mapping that forgets the least recently used entry beyond `size` entries."""

    def __init__(self, size: int = DEFAULT_ENTRIES):
        self.size = size
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key):
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class FragmentCache(Extension):
    """The `{% cache name, key, ... %}...{% endcache %}` tag; the environment gets `fragment_cache` (an LRU)."""

    tags = {"cache"}

    def __init__(self, environment):
        super().__init__(environment)
        environment.extend(fragment_cache=LRU())

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        parts = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            parts.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        call = self.call_method("_render", [nodes.Tuple(parts, "load")])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render(self, parts: tuple, caller):
        key = (request.script_root if has_request_context() else "",) + parts
        cache = self.environment.fragment_cache
        html = cache.get(key)
        if html is None:
            html = caller()
            cache.put(key, html)
        return html
