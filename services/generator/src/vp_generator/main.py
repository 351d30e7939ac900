"""Generator process: ``vp-generator``."""

from __future__ import annotations

import sys

from vp_runtime.process import serve_worker

from vp_generator.bootstrap import running
from vp_generator.settings import GeneratorSettings


def main() -> int:
    return serve_worker(GeneratorSettings(), running)


if __name__ == "__main__":
    sys.exit(main())
