"""Symbol extraction timings: a generated 5,000-line TypeScript file and Python file.

Run with `uv run python bench/bench_symbols.py` (or `nox -s bench`). Prints median times;
the targets are under 50 ms per uncached extraction and under 50 µs per cached lookup.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from coord_engine.symbols import SymbolCache, extract_symbols

LINES = 5_000
EXTRACT_RUNS = 15
LOOKUP_RUNS = 2_000


def typescript_source(lines: int = LINES) -> bytes:
    """A TypeScript module of about `lines` lines: classes, interfaces, arrow constants."""
    chunks: list[str] = ['import { Request, Response } from "./http";', ""]
    index = 0
    while sum(chunk.count("\n") + 1 for chunk in chunks) < lines:
        chunks.append(_typescript_block(index))
        index += 1
    return "\n".join(chunks).encode()


def _typescript_block(index: int) -> str:
    methods = "\n".join(
        f"  handle{index}_{number}(request: Request): Response {{\n"
        f"    const body = request.body as Payload{index};\n"
        f"    return this.respond(body.id + {number});\n"
        f"  }}\n"
        for number in range(6)
    )
    return (
        f"export interface Payload{index} {{\n  id: number;\n  name: string;\n}}\n\n"
        f"export class Router{index}<T> extends BaseRouter<T> {{\n"
        f"  private readonly prefix = '/r{index}';\n\n{methods}}}\n\n"
        f"export const helper{index} = async (value: number): Promise<number> => {{\n"
        f"  return value * {index};\n}};\n"
    )


def python_source(lines: int = LINES) -> bytes:
    """A Python module of about `lines` lines: decorated classes, methods, functions."""
    chunks: list[str] = ["from dataclasses import dataclass", ""]
    index = 0
    while sum(chunk.count("\n") + 1 for chunk in chunks) < lines:
        chunks.append(_python_block(index))
        index += 1
    return "\n".join(chunks).encode()


def _python_block(index: int) -> str:
    methods = "\n".join(
        f"    def handle_{number}(self, request: Request) -> Response:\n"
        f'        """Answer request kind {number}."""\n'
        f"        body = request.body\n"
        f"        return self.respond(body.id + {number})\n"
        for number in range(6)
    )
    return (
        f"@dataclass\nclass Router{index}(BaseRouter):\n"
        f'    prefix: str = "/r{index}"\n\n{methods}\n'
        f"    class Options:\n        strict = True\n\n\n"
        f"def helper_{index}(value: int) -> int:\n    return value * {index}\n\n"
    )


def median_seconds(action: Callable[[], object], runs: int) -> float:
    """The median wall time of `runs` calls of `action`."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def measure(path: str, source: bytes) -> str:
    """One table row: size, symbol count, median uncached extraction and cached lookup."""
    table = extract_symbols(path, source)
    if table is None:
        return f"{path:<12} skipped: tree-sitter or its grammar is not installed"
    extract = median_seconds(lambda: extract_symbols(path, source), EXTRACT_RUNS)
    cache = SymbolCache()
    cache.extract(path, source)
    # A copy, as the server holds after re-reading an unchanged file: equal bytes, new object.
    reread = bytes(bytearray(source))
    cached = median_seconds(lambda: cache.extract(path, reread), LOOKUP_RUNS)
    lines = source.count(b"\n") + 1
    symbols = len(table.symbols)
    return f"{path:<12}{lines:>7}{symbols:>9}{extract * 1e3:>12.1f}{cached * 1e6:>11.1f}"


def main() -> None:
    """Print one table row per language."""
    print(f"{'file':<12}{'lines':>7}{'symbols':>9}{'extract ms':>12}{'cached µs':>11}")
    print(measure("router.ts", typescript_source()))
    print(measure("router.py", python_source()))


if __name__ == "__main__":
    main()
