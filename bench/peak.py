"""Peak resident memory of a snippet run in a fresh Python process (for the benchmarks).

The child reports VmHWM from /proc/self/status: the high-water mark of its own
address space since exec. (``ru_maxrss`` would also count the parent's memory
at fork time, which in a benchmark holding audio arrays is most of it.)
"""

import subprocess
import sys
import time

REPORT = """
for line in open('/proc/self/status'):
    if line.startswith('VmHWM:'):
        print(line.split()[1])
"""


def peak_of(code: str) -> tuple[float, float]:
    """Peak RSS (GiB) and wall seconds of ``python -c code`` in a fresh process."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", code + "\n" + REPORT],
                            capture_output=True, text=True, check=True)
    return int(result.stdout.split()[-1]) / 2 ** 20, time.perf_counter() - start
