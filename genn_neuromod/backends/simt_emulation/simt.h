/* SIMT emulation of the CUDA built-ins the generated kernels use, for testing them without a GPU.
 *
 * The cuda backend's .cu file is compiled as C++ with this header in front.  A launch runs the grid one block
 * at a time; each thread of the block is a fiber (ucontext) with its own stack, so local variables are per
 * thread and `__shared__` variables (made `static`) are per block.  Fibers switch only at `__syncthreads()`
 * and at warp collectives (`__ballot_sync`, `__shfl_sync`, `__shfl_down_sync`), which therefore behave as on
 * hardware: a barrier releases when every live thread of the block has reached it (threads that returned
 * count as arrived, as on a GPU), a collective when every
 * lane of its mask has; lanes read what the other lanes passed.  Atomics are plain read-modify-writes (one
 * fiber runs at a time).  Mistakes that would hang or corrupt a GPU are reported instead: a barrier or
 * collective some threads can never reach (divergence), a collective whose mask names a lane that exited, a
 * shuffle from a lane outside the mask.  Not a speed path: a test device.
 */
#pragma once
#include <ucontext.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>
#include <stdlib.h>
#include <stdio.h>
#include <math.h>
#include <float.h>
#include <new>
#include <type_traits>
#include <vector>  /* for the scheduler, before the kernels' min/max macros */

#define __global__
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline
#define __restrict__ __restrict
#define __shared__ static
#define __launch_bounds__(...)

struct dim3 {
    unsigned int x, y, z;
};

namespace gn_emu {

enum State { RUNNABLE, AT_BARRIER, AT_COLLECTIVE, DONE };
enum Collective { BALLOT, SHFL, SHFL_DOWN };

struct Fiber {
    ucontext_t context;
    State state;
    Collective op;
    unsigned int mask;
    int predicate;
    uint64_t value;
    int lane_arg;      /* source lane (shfl) or delta (shfl_down) */
    int width;
    uint64_t result;
};

struct Launch {
    unsigned int grid_x, grid_y, block_x;
    void (*body)(void *);
    void *closure;
    bool fibers;  /* false: the kernel has no barrier or warp collective, its threads run one after another */
};

extern dim3 threadIdx, blockIdx, blockDim, gridDim;
extern const int warpSize;

/* the error of the last launch (empty when it ran cleanly) */
extern char error[512];

void launch(const Launch &launch);
void wait_at_barrier();
uint64_t collective(Collective op, unsigned int mask, int predicate, uint64_t value, int lane_arg, int width);
void fail(const char *message);

template <class T> inline uint64_t pack(T v)
{
    static_assert(sizeof(T) <= 8, "shuffles move at most 8 bytes");
    uint64_t bits = 0;
    memcpy(&bits, &v, sizeof(T));
    return bits;
}

template <class T> inline T unpack(uint64_t bits)
{
    T v;
    memcpy(&v, &bits, sizeof(T));
    return v;
}

}  // namespace gn_emu

using gn_emu::blockDim;
using gn_emu::blockIdx;
using gn_emu::gridDim;
using gn_emu::threadIdx;
using gn_emu::warpSize;

inline void __syncthreads() { gn_emu::wait_at_barrier(); }

inline unsigned int __ballot_sync(unsigned int mask, int predicate)
{
    return (unsigned int)gn_emu::collective(gn_emu::BALLOT, mask, predicate != 0, 0, 0, 32);
}

template <class T> inline T __shfl_sync(unsigned int mask, T var, int src_lane, int width = 32)
{
    return gn_emu::unpack<T>(gn_emu::collective(gn_emu::SHFL, mask, 0, gn_emu::pack(var), src_lane, width));
}

template <class T> inline T __shfl_down_sync(unsigned int mask, T var, unsigned int delta, int width = 32)
{
    return gn_emu::unpack<T>(gn_emu::collective(gn_emu::SHFL_DOWN, mask, 0, gn_emu::pack(var), (int)delta,
                                                width));
}

inline int __popc(unsigned int x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned int)x); }
inline float __int_as_float(int x) { float f; memcpy(&f, &x, 4); return f; }
inline int __float_as_int(float f) { int x; memcpy(&x, &f, 4); return x; }

/* one fiber runs at a time: an atomic is an ordinary read-modify-write that returns the old value */
#define GN_EMU_ATOMIC(name, update)                                   \
    template <class T, class U> inline T name(T *address, U value)   \
    {                                                                  \
        const T old = *address;                                        \
        const T v = (T)value;                                          \
        *address = (T)(update);                                        \
        return old;                                                    \
    }
GN_EMU_ATOMIC(atomicAdd, old + v)
GN_EMU_ATOMIC(atomicSub, old - v)
GN_EMU_ATOMIC(atomicMax, old > v ? old : v)
GN_EMU_ATOMIC(atomicMin, old < v ? old : v)
GN_EMU_ATOMIC(atomicOr, old | v)
GN_EMU_ATOMIC(atomicAnd, old & v)
GN_EMU_ATOMIC(atomicExch, v)
#undef GN_EMU_ATOMIC
template <class T, class U, class V> inline T atomicCAS(T *address, U compare, V value)
{
    const T old = *address;
    if (old == (T)compare) *address = (T)value;
    return old;
}
