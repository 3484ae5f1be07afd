"""A triggerer stand-in: runs serialised triggers in one asyncio loop, in a process of its own.

``python trigger_host.py '<json list of [classpath, kwargs]>'`` rebuilds each trigger from its
``serialize()`` output (as a triggerer does after a restart), prints ``watching <i> <status>``
once trigger ``i`` has learned its job's status, and one ``event <i> <json>`` line per event.
Killing the process is a triggerer crash: no ``cleanup``, no ``on_kill``.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys
from typing import Any


def build(classpath: str, kwargs: dict[str, Any]) -> Any:
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**kwargs)


async def run_one(index: int, trigger: Any) -> None:
    async def announce() -> None:
        while trigger.last_status is None:
            await asyncio.sleep(0.05)
        print(f"watching {index} {trigger.last_status}", flush=True)

    announcer = asyncio.create_task(announce())
    async for event in trigger.run():
        print(f"event {index} {json.dumps(event.payload)}", flush=True)
        break
    announcer.cancel()


async def main(serialised: list[list[Any]]) -> None:
    triggers = [build(classpath, kwargs) for classpath, kwargs in serialised]
    await asyncio.gather(*(run_one(i, trigger) for i, trigger in enumerate(triggers)))


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
