"""The four stage services running in this process, on the test's topology and storage."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from vp_compositor.bootstrap import running as compositor
from vp_compositor.settings import CompositorSettings
from vp_generator.bootstrap import running as generator
from vp_generator.settings import GeneratorSettings
from vp_planner.bootstrap import running as planner
from vp_planner.settings import PlannerSettings
from vp_runtime.settings import RuntimeSettings
from vp_upscaler.bootstrap import running as upscaler
from vp_upscaler.settings import UpscalerSettings


@contextlib.asynccontextmanager
async def stages(
    settings: RuntimeSettings,
    storage: Path,
    *,
    compositors: int = 1,
    generators: int = 1,
    **compositor_options: Any,
) -> AsyncIterator[None]:
    common = {**settings.model_dump(exclude={"service_name"}), "storage_dir": str(storage)}
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(planner(PlannerSettings(**common)))
        for _ in range(generators):
            await stack.enter_async_context(generator(GeneratorSettings(**common)))
        for _ in range(compositors):
            await stack.enter_async_context(
                compositor(CompositorSettings(**common, **compositor_options))
            )
        await stack.enter_async_context(upscaler(UpscalerSettings(**common)))
        yield
