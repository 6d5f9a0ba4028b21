"""What `make dashboard` configures in Voila (voila.json, read from the repository's root): the
kernel client that Voila's executor runs a report notebook with.

Voila runs a notebook through nbclient, which stands in for the browser's output widgets while
the cells run: every output a section renders into its widget (report.section) is sent back to
the kernel as the widget's new state, on the shell socket on which nbclient is at that moment
waiting for the cell's reply. With pyzmq's asyncio sockets that send can swallow the wake-up of
the pending wait (nbclient issue #312), so the reply sits unread until the wait times out, and
Voila waits without a timeout: the dashboard never finished loading (a notebook run with
nbclient alone stalled for its whole cell timeout after the burn section). DashboardKernelClient
waits for shell replies in short slices, so a swallowed wake-up costs at most one slice.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from traitlets import Type

SLICE_SECONDS = 0.05  # the longest a missed wake-up delays a reply


class SlicedShellChannel(AsyncZMQSocketChannel):
    """A shell channel whose wait for a message looks again every SLICE_SECONDS."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = None if deadline is None else deadline - time.monotonic()
            step = SLICE_SECONDS if left is None else max(0.0, min(SLICE_SECONDS, left))
            if await self.socket.poll(int(step * 1000)):
                return await self._recv()
            if left is not None and left <= step:
                raise Empty


class DashboardKernelClient(AsyncKernelClient):
    """The kernel client of Voila's executor (AsyncKernelManager.client_class in voila.json)."""

    shell_channel_class = Type(SlicedShellChannel)  # type: ignore[assignment]
