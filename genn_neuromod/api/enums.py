"""PyGeNN 5 enumerations, with GeNN's bit values."""

from __future__ import annotations

from enum import IntFlag


class VarAccessModeAttribute(IntFlag):
    READ_ONLY = 1 << 0
    READ_WRITE = 1 << 1
    REDUCE = 1 << 2
    SUM = 1 << 3
    MAX = 1 << 4
    BROADCAST = 1 << 5


class VarAccessMode(IntFlag):
    READ_WRITE = 1 << 1
    READ_ONLY = 1 << 0
    BROADCAST = 1 << 5
    REDUCE_SUM = (1 << 2) | (1 << 3)
    REDUCE_MAX = (1 << 2) | (1 << 4)


class VarAccessDim(IntFlag):
    ELEMENT = 1 << 6
    BATCH = 1 << 7


class VarAccess(IntFlag):
    READ_WRITE = VarAccessMode.READ_WRITE | VarAccessDim.ELEMENT | VarAccessDim.BATCH
    READ_ONLY = VarAccessMode.READ_ONLY | VarAccessDim.ELEMENT
    READ_ONLY_DUPLICATE = VarAccessMode.READ_ONLY | VarAccessDim.ELEMENT | VarAccessDim.BATCH
    READ_ONLY_SHARED_NEURON = VarAccessMode.READ_ONLY | VarAccessDim.BATCH


class CustomUpdateVarAccess(IntFlag):
    """Custom-update variable access; its dimensions are *subtracted* from the target's."""

    READ_WRITE = VarAccessMode.READ_WRITE
    READ_ONLY = VarAccessMode.READ_ONLY
    BROADCAST_DELAY = VarAccessMode.BROADCAST
    READ_ONLY_SHARED = VarAccessMode.READ_ONLY | VarAccessDim.BATCH
    READ_ONLY_SHARED_NEURON = VarAccessMode.READ_ONLY | VarAccessDim.ELEMENT
    REDUCE_BATCH_SUM = VarAccessMode.REDUCE_SUM | VarAccessDim.BATCH
    REDUCE_BATCH_MAX = VarAccessMode.REDUCE_MAX | VarAccessDim.BATCH
    REDUCE_NEURON_SUM = VarAccessMode.REDUCE_SUM | VarAccessDim.ELEMENT
    REDUCE_NEURON_MAX = VarAccessMode.REDUCE_MAX | VarAccessDim.ELEMENT


def get_var_access_mode(access: int) -> VarAccessMode:
    return VarAccessMode(int(access) & 0x3F)


def get_var_access_dim(access: int) -> VarAccessDim:
    return VarAccessDim(int(access) & 0xC0)


class SynapseMatrixConnectivity(IntFlag):
    DENSE = 1 << 0
    BITMASK = 1 << 1
    SPARSE = 1 << 2
    PROCEDURAL = 1 << 3
    TOEPLITZ = 1 << 4


class SynapseMatrixWeight(IntFlag):
    INDIVIDUAL = 1 << 5
    PROCEDURAL = 1 << 6
    KERNEL = 1 << 7


class SynapseMatrixType(IntFlag):
    DENSE = SynapseMatrixConnectivity.DENSE | SynapseMatrixWeight.INDIVIDUAL
    DENSE_PROCEDURALG = SynapseMatrixConnectivity.DENSE | SynapseMatrixWeight.PROCEDURAL
    BITMASK = SynapseMatrixConnectivity.BITMASK | SynapseMatrixWeight.INDIVIDUAL
    SPARSE = SynapseMatrixConnectivity.SPARSE | SynapseMatrixWeight.INDIVIDUAL
    PROCEDURAL = SynapseMatrixConnectivity.PROCEDURAL | SynapseMatrixWeight.PROCEDURAL
    PROCEDURAL_KERNELG = SynapseMatrixConnectivity.PROCEDURAL | SynapseMatrixWeight.KERNEL
    TOEPLITZ = SynapseMatrixConnectivity.TOEPLITZ | SynapseMatrixWeight.KERNEL


class ParallelismHint(IntFlag):
    POSTSYNAPTIC = 0
    PRESYNAPTIC = 1
    WORD_PACKED_BITMASK = 2


class VarLocationAttribute(IntFlag):
    HOST = 1 << 0
    DEVICE = 1 << 1
    ZERO_COPY = 1 << 2


class VarLocation(IntFlag):
    DEVICE = VarLocationAttribute.DEVICE
    HOST_DEVICE = VarLocationAttribute.HOST | VarLocationAttribute.DEVICE
    HOST_DEVICE_ZERO_COPY = (VarLocationAttribute.HOST | VarLocationAttribute.DEVICE
                             | VarLocationAttribute.ZERO_COPY)


class PlogSeverity(IntFlag):
    NONE = 0
    FATAL = 1
    ERROR = 2
    WARNING = 3
    INFO = 4
    DEBUG = 5
    VERBOSE = 6
