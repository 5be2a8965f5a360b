"""What a second thread can give on this machine, measured: the ceiling that the benchmark's 2-thread rows meet.

Three small OpenMP kernels, compiled with the flags of the engine's own builds (``-O3 -march=native -fopenmp``):
vector arithmetic on data in each core's L1 cache (AVX-512 where the CPU has it), a dependent chain of scalar
multiply-adds (latency bound), and an OpenMP barrier.  Each thread does the same work alone and then beside a
second thread; the ratio 2 x (alone) / (beside) is the throughput of two threads in units of one: 2.0 on two free
cores, about 1.0 where the two logical CPUs share one core's vector units (hyper-threads, or a virtual machine
whose CPUs another tenant's work shares).

Usage:  python scripts/_machine_probe.py      (prints one JSON line)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_SOURCE = r"""
#include <omp.h>
#include <stdio.h>
#include <time.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
#define N 4096
static float a[2][N] __attribute__((aligned(64))), b[2][N] __attribute__((aligned(64)));
static volatile double sink[2];
static double vector_work(int threads) {
    double t0 = now();
    #pragma omp parallel num_threads(threads)
    {
        float *x = a[omp_get_thread_num()], *y = b[omp_get_thread_num()];
        for (int r = 0; r < 100000; r++) {
            #pragma omp simd
            for (int i = 0; i < N; i++) {
                x[i] = x[i] * 0.999f + y[i] * 0.5f + 0.1f;
                y[i] = y[i] * 0.98f + x[i] * 0.01f;
            }
        }
    }
    return now() - t0;
}
static double chain_work(int threads) {
    double t0 = now();
    #pragma omp parallel num_threads(threads)
    {
        double x = 1.0 + omp_get_thread_num();
        for (long r = 0; r < 50000000L; r++) x = x * 1.0000001 + 1e-9;
        sink[omp_get_thread_num()] = x;
    }
    return now() - t0;
}
static double barrier_ns(void) {  /* barriers for about 0.1 s (a core taken by other work slows each a lot) */
    long n = 0;
    int stop = 0;
    double t0 = now();
    #pragma omp parallel num_threads(2)
    while (!stop) {
        for (int i = 0; i < 256; i++) {
            #pragma omp barrier
        }
        #pragma omp single
        { n += 257; stop = now() - t0 > 0.1; }  /* its own barrier ends the single: every thread reads one stop */
    }
    return (now() - t0) / n * 1e9;
}
int main(void) {
    for (int rep = 0; rep < 3; rep++)
        printf("%.6f %.6f %.6f %.6f %.1f\n", vector_work(1), vector_work(2), chain_work(1), chain_work(2),
               barrier_ns());
    return 0;
}
"""


def probe() -> dict:
    """Two threads' throughput in units of one thread's (vector arithmetic, scalar chain) and a barrier's ns
    (medians of three rounds); empty where no C compiler with OpenMP is found."""
    with tempfile.TemporaryDirectory() as wd:
        src, exe = Path(wd) / "probe.c", Path(wd) / "probe"
        src.write_text(_SOURCE)
        cc = os.environ.get("CC", "cc")
        built = subprocess.run([cc, "-O3", "-march=native", "-fopenmp", str(src), "-o", str(exe)],
                               capture_output=True, text=True)
        if built.returncode != 0:
            return {}
        out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    rounds = [[float(x) for x in line.split()] for line in out.splitlines() if line.strip()]
    return {"vector_2thr_x": statistics.median(2 * r[0] / r[1] for r in rounds),
            "chain_2thr_x": statistics.median(2 * r[2] / r[3] for r in rounds),
            "barrier_ns": statistics.median(r[4] for r in rounds)}


def describe(result: dict) -> str:
    if not result:
        return "machine probe: no C compiler with OpenMP found"
    return (f"two threads run vector arithmetic at {result['vector_2thr_x']:.2f}x one thread's rate and a scalar "
            f"chain at {result['chain_2thr_x']:.2f}x (2.00 = two free cores); an OpenMP barrier of two threads "
            f"costs {result['barrier_ns']:.0f} ns")


if __name__ == "__main__":
    print(json.dumps(probe()))
    sys.exit(0)
