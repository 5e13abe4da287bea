"""The instruction trace format shared by the compilers and the engine.

A :class:`Trace` is a numpy structured array with int64 columns, one row per instruction. An instruction is
a tile or a stream (load a weight tile, run a tile on the matrix engine, normalise 16 rows), never a byte or
a cycle. Units execute their instructions in program order; an instruction also waits for the (up to three)
earlier instructions named in ``dep0..dep2``. A :class:`Program` is a set of :class:`Block` s (one op, or a
fused group of ops, each ending with a barrier) and the sequence in which they run, with the layer index of
each run so that per-layer addresses can be formed from the block's relative ones.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "TRACE_DTYPE", "OPCODES", "OPCODE_NAMES", "LOAD", "STORE", "MM", "MV", "SFU", "KERNEL", "HOST", "PATH_ATTACHED",
    "PATH_CROSS",
    "REGIONS", "SFU_FUNCS", "Block", "Program", "trace_to_rows", "ceil_div", "kv_bytes_per_token",
]

LOAD, STORE, MM, MV, SFU = 0, 1, 2, 3, 4
#: GPU targets: one GPU kernel (its duration includes its own DRAM traffic), and one piece of host-side work
#: (launching a kernel, scheduling a step, waiting for the device); see accelsim.compiler.gpu for the columns
KERNEL, HOST = 5, 6
OPCODE_NAMES: tuple[str, ...] = ("load", "store", "mm", "mv", "sfu", "kernel", "host")
OPCODES: dict[str, int] = {n: i for i, n in enumerate(OPCODE_NAMES)}

#: how a memory instruction reaches its channels: through the port the buffer is attached to, or across
#: the memory switch to channels attached to other ports (slower on FPGA HBM)
PATH_ATTACHED, PATH_CROSS = 0, 1

#: memory regions; an address is an offset in the region's slab for the current layer
REGIONS: tuple[str, ...] = ("weights", "kv_cache", "activations", "tables")

def kv_bytes_per_token(graph) -> int:  # type: ignore[no-untyped-def]
    """Bytes one token's keys and values take in one layer's KV cache (from the graph's kv_append op)."""
    kv_op = next(op for op in graph.sections[1].ops if op.kind == "kv_append")
    return sum(t.bytes for t in kv_op.outputs) // (kv_op.attr("q_len") * kv_op.attr("batch"))


def ceil_div(a: float, b: float) -> int:
    """The smallest whole number of b-sized pieces that hold a (tiles, waves, bytes rounded up)."""
    return int(-(-a // b))


#: special-function-unit functions (for statistics; the timing depends on rows, cols and passes)
SFU_FUNCS: tuple[str, ...] = ("eltwise", "softmax", "norm", "activation", "rope", "topk")

TRACE_DTYPE = np.dtype([
    ("opcode", np.int64),       # LOAD, STORE, MM, MV, SFU
    ("unit", np.int64),         # index into Program.units
    ("rows", np.int64),         # compute: output rows; SFU: rows
    ("cols", np.int64),         # compute: output columns; SFU: elements per row
    ("red", np.int64),          # compute: reduction length
    ("density_ppm", np.int64),  # fraction of the dense engine cycles x 1e6 (sparse chain: skipped zeros; 1e6 dense)
    ("passes", np.int64),       # SFU: passes over the data
    ("func", np.int64),         # SFU: index into SFU_FUNCS
    ("bytes", np.int64),        # memory: bytes moved
    ("chan_lo", np.int64),      # memory: first channel
    ("chan_n", np.int64),       # memory: number of channels the bytes are spread over
    ("chan_stride", np.int64),  # memory: distance between those channels
    ("path", np.int64),         # memory: PATH_ATTACHED or PATH_CROSS
    ("region", np.int64),       # memory: index into REGIONS
    ("addr", np.int64),         # memory: byte offset in the region's slab of the current layer
    ("macs", np.int64),         # useful (non-zero, unpadded) MACs, for statistics
    ("dep0", np.int64),         # earlier instructions this one waits for (-1: none)
    ("dep1", np.int64),
    ("dep2", np.int64),
    ("op", np.int64),           # index into Block.op_names
])


@dataclass(frozen=True)
class Block:
    """The trace of one op (or fused group of ops); ends with a barrier. ``key`` identifies its content."""

    trace: np.ndarray
    op_names: tuple[str, ...]
    op_kinds: tuple[str, ...]
    key: str = ""

    @staticmethod
    def make(trace: np.ndarray, op_names: tuple[str, ...], op_kinds: tuple[str, ...]) -> "Block":
        trace = np.ascontiguousarray(trace, dtype=TRACE_DTYPE)
        trace.setflags(write=False)
        h = hashlib.blake2b(trace.tobytes(), digest_size=16)
        h.update("|".join(op_kinds).encode())
        return Block(trace, op_names, op_kinds, h.hexdigest())

    @property
    def name(self) -> str:
        return "+".join(self.op_names)


@dataclass(frozen=True)
class Program:
    """Blocks and the order they run in: ``sequence`` rows are (block index, layer index)."""

    units: tuple[str, ...]
    blocks: tuple[Block, ...]
    sequence: np.ndarray  # int64 (n, 2)
    region_base: tuple[int, ...] = ()    # byte address of each region's first slab
    region_stride: tuple[int, ...] = ()  # bytes between consecutive layers' slabs
    meta: dict = field(default_factory=dict)

    @property
    def instruction_count(self) -> int:
        """Instructions executed when the whole sequence runs (blocks counted once per run)."""
        sizes = np.array([len(b.trace) for b in self.blocks], dtype=np.int64)
        return int(sizes[self.sequence[:, 0]].sum()) if len(self.sequence) else 0


def trace_to_rows(program: Program) -> list[dict[str, object]]:
    """The whole sequence as one flat list of instruction dicts (absolute addresses, named fields)."""
    rows: list[dict[str, object]] = []
    base = np.array(program.region_base or [0] * len(REGIONS), dtype=np.int64)
    stride = np.array(program.region_stride or [0] * len(REGIONS), dtype=np.int64)
    for run, (bi, layer) in enumerate(program.sequence):
        blk = program.blocks[int(bi)]
        for i, ins in enumerate(blk.trace):
            op = int(ins["opcode"])
            r = {
                "run": run, "layer": int(layer), "block": blk.name, "index": i,
                "op": blk.op_names[int(ins["op"])], "opcode": OPCODE_NAMES[op],
                "unit": program.units[int(ins["unit"])],
            }
            for f in TRACE_DTYPE.names:
                if f in ("opcode", "unit", "op"):
                    continue
                r[f] = int(ins[f])
            if op in (LOAD, STORE):
                reg = int(ins["region"])
                r["region"] = REGIONS[reg]
                r["addr"] = int(base[reg] + layer * stride[reg] + ins["addr"])
            rows.append(r)
    return rows
