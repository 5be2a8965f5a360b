"""The SIMT emulation: the generated CUDA compiled as C++ and run with CUDA's thread semantics, without a GPU."""
