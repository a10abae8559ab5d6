"""Buffered random tokens: hex of the right length, never repeated, from a buffer that a forked child does not
share with its parent."""
import multiprocessing
import os
import re
import threading

import pytest

from courseware.services.randompool import RandomPool, token_hex


def test_tokens_are_hex_of_the_asked_length_and_unique():
    tokens = [token_hex(16) for _ in range(2000)]  # several refills of the buffer
    assert all(re.fullmatch(r"[0-9a-f]{32}", t) for t in tokens)
    assert len(set(tokens)) == len(tokens)


def test_bytes_are_handed_out_once_across_threads():
    pool = RandomPool(chunk=64)
    seen, lock = [], threading.Lock()

    def take():
        mine = [pool.token_bytes(8) for _ in range(200)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 800 and len(set(seen)) == 800


def test_more_than_a_chunk_comes_straight_from_the_system():
    pool = RandomPool(chunk=16)
    assert len(pool.token_bytes(100)) == 100


def _child_tokens(queue):
    queue.put([token_hex(16) for _ in range(20)])


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_does_not_reuse_the_parents_buffer():
    token_hex(16)  # the parent has a buffer now
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_child_tokens, args=(queue,))
    child.start()
    theirs = queue.get(timeout=30)
    child.join(30)
    ours = [token_hex(16) for _ in range(20)]
    assert not set(theirs) & set(ours)
