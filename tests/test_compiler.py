"""The FPGA lowering: well-formed traces, tiling to buffer capacity, compile-once layers, length buckets."""

from __future__ import annotations

import numpy as np
import pytest

from accelsim.compiler import FpgaCompiler
from accelsim.compiler.fpga import kept_key_blocks, mask_kept_fraction
from accelsim.compiler.isa import LOAD, MM, MV, PATH_CROSS, SFU, STORE, TRACE_DTYPE, kv_bytes_per_token
from accelsim.config import load_hardware, load_workload
from accelsim.config.hardware import AttentionSparsityConfig
from accelsim.simulate import compile_step
from accelsim.workload import build_decode, build_prefill, resolve_numerics


@pytest.fixture(scope="module")
def hw():  # type: ignore[no-untyped-def]
    return load_hardware("vhk158-flightllm")


@pytest.fixture(scope="module")
def llama():  # type: ignore[no-untyped-def]
    return load_workload("llama2-7b")


def _by_name(prog, name):  # type: ignore[no-untyped-def]
    return next(b for b in prog.blocks if b.name.startswith(name))


def test_traces_are_well_formed(hw, llama) -> None:  # type: ignore[no-untyped-def]
    for phase, length in (("prefill", 128), ("decode", 300)):
        prog = compile_step(hw, llama, phase, 1, length)
        for blk in prog.blocks:
            tr = blk.trace
            assert tr.dtype == TRACE_DTYPE and all(tr.dtype[f] == np.int64 for f in TRACE_DTYPE.names)
            idx = np.arange(len(tr))
            for d in ("dep0", "dep1", "dep2"):
                assert np.all(tr[d] < idx), "dependencies point to earlier instructions"
            mem = np.isin(tr["opcode"], (LOAD, STORE))
            assert np.all(tr["bytes"][mem] > 0) and np.all(tr["chan_n"][mem] >= 1)
            assert np.all(tr["chan_lo"][mem] + (tr["chan_n"][mem] - 1) * tr["chan_stride"][mem] < 32)


def test_layers_are_compiled_once(hw, llama) -> None:  # type: ignore[no-untyped-def]
    prog = compile_step(hw, llama, "decode", 1, 300)
    # 32 layers x 12 (fused) ops + embedding + final norm + lm_head, but only the distinct blocks are stored
    assert len(prog.sequence) == 32 * 12 + 3
    assert len(prog.blocks) == 15
    assert prog.sequence[:, 1].max() == 31


def test_decode_steps_share_templates_within_a_bucket(hw, llama) -> None:  # type: ignore[no-untyped-def]
    keys = lambda p: [b.key for b in p.blocks]  # noqa: E731
    a, b, c = (compile_step(hw, llama, "decode", 1, n) for n in (129, 144, 145))
    assert keys(a) == keys(b) and keys(a) != keys(c)
    assert a.meta["kv_len"] == 144 and c.meta["kv_len"] == 160
    p = compile_step(hw, llama, "prefill", 1, 100)
    assert p.meta["q_len"] == 128  # prefill lengths round up to 128


def test_mv_tiles_fit_the_buffer_with_double_buffering(hw, llama) -> None:  # type: ignore[no-untyped-def]
    prog = compile_step(hw, llama, "decode", 1, 300)
    blk = _by_name(prog, "down")
    tr = blk.trace
    mv = tr[tr["opcode"] == MV]
    assert np.all(mv["cols"] <= 512)
    cap = hw.buffers.a_buffer.capacity_bytes(mv_mode=True) * hw.slrs.count
    footprint = mv["cols"] * mv["red"] * (mv["density_ppm"] / 1e6)  # held at 8-bit operand width
    assert footprint.max() * hw.mapping.min_buffer_depth <= cap
    # a load never runs more than (buffer capacity / tile) tiles ahead of the MV that frees its slot
    loads = np.nonzero(tr["opcode"] == LOAD)[0]
    depth = int(cap // footprint.max())
    slot_deps = tr["dep0"][loads]
    assert np.all((slot_deps == -1) | (tr["opcode"][np.maximum(slot_deps, 0)] == MV))
    assert (slot_deps >= 0).sum() == len(loads) - depth
    assert tr["macs"][tr["opcode"] == MV].sum() == 4096 * 11008  # the whole matrix is computed


def test_engine_choice_and_cross_channel_weights_in_prefill(hw, llama) -> None:  # type: ignore[no-untyped-def]
    pre = _by_name(compile_step(hw, llama, "prefill", 1, 128), "q_proj").trace
    dec = _by_name(compile_step(hw, llama, "decode", 1, 128), "q_proj").trace
    assert (pre["opcode"] == MM).any() and not (pre["opcode"] == MV).any()
    assert (dec["opcode"] == MV).any() and not (dec["opcode"] == MM).any()
    w_loads = pre[(pre["opcode"] == LOAD) & (pre["region"] == 0)]
    assert np.all(w_loads["path"] == PATH_CROSS) and np.all(w_loads["chan_stride"] == 8)
    # INT4 weights at 70 % density: the bytes streamed per prefill row tile
    assert w_loads["bytes"].sum() == pytest.approx(4096 * 4096 * 0.7 * 0.5, rel=1e-3)
    assert (pre["opcode"] == SFU).sum() == 4096 // 16  # RoPE fused on every output tile


def test_always_on_chip_decode_removes_activation_traffic(llama) -> None:  # type: ignore[no-untyped-def]
    on = load_hardware("vhk158-flightllm")
    off = load_hardware("vhk158-flightllm", {"mapping.always_on_chip_decode": False})
    t_on = _by_name(compile_step(on, llama, "decode", 1, 200), "o_proj").trace
    t_off = _by_name(compile_step(off, llama, "decode", 1, 200), "o_proj").trace
    assert (t_on["opcode"] == STORE).sum() == 0 and (t_off["opcode"] == STORE).sum() > 0
    act = lambda t: t[(t["opcode"] == LOAD) & (t["region"] == 2)]["bytes"].sum()  # noqa: E731
    assert act(t_on) == 0 and act(t_off) > 0


def test_gqa_decode_loads_each_kv_head_once(hw) -> None:  # type: ignore[no-untyped-def]
    m = load_workload("llama3-8b")
    tr = _by_name(compile_step(hw, m, "decode", 1, 256), "attn_qk").trace
    loads = tr[tr["opcode"] == LOAD]
    assert len(loads) == 8 and loads["bytes"].sum() == 8 * 256 * 128  # 8 KV heads, INT8 cache
    assert (tr["opcode"] == MV).sum() == 32  # one MV per query head


def test_prefill_mask(hw) -> None:  # type: ignore[no-untyped-def]
    dense = AttentionSparsityConfig(pattern="dense")
    sparse = hw.deployment.prefill_attention
    assert kept_key_blocks(0, 128, 0, 128, dense, 16) == [(0, 128)]
    assert mask_kept_fraction(128, sparse) == 1.0
    # the artifact's masks keep 0.80 of the causal 64-token blocks at 512 tokens and 0.53 at 1024
    assert mask_kept_fraction(512, sparse) == pytest.approx(0.80, abs=0.04)
    assert mask_kept_fraction(1024, sparse) == pytest.approx(0.53, abs=0.04)
    runs = kept_key_blocks(384, 512, 0, 512, sparse, 16)
    assert runs[0] == (0, 64) and runs[-1][1] == 512  # the sink block and the local window
    m = load_workload("llama2-7b")
    num = resolve_numerics(m, hw.deployment)
    comp = FpgaCompiler(hw)
    qk = next(b for b in comp.compile(build_prefill(m, 1, 512, num)).blocks if b.name.startswith("attn_qk")).trace
    full = next(b for b in FpgaCompiler(load_hardware("vhk158-flightllm", {"deployment.prefill_attention.pattern": "dense"}))
                .compile(build_prefill(m, 1, 512, num)).blocks if b.name.startswith("attn_qk")).trace
    assert (qk["opcode"] == MM).sum() < (full["opcode"] == MM).sum()


def test_moe_compiles_active_experts(hw) -> None:  # type: ignore[no-untyped-def]
    m = load_workload("mixtral-8x7b")
    num = resolve_numerics(m, hw.deployment)
    prog = FpgaCompiler(hw).compile(build_decode(m, 1, 64, num))
    gate = _by_name(prog, "gate").trace
    assert gate["macs"].sum() == 2 * 4096 * 14336  # two experts for one token
    assert any(b.name.startswith("router") for b in prog.blocks)


def test_memory_map_gives_every_tensor_its_own_addresses(hw, llama) -> None:  # type: ignore[no-untyped-def]
    """Weights of different ops, keys and values of different heads, and the new token's entries sit at
    distinct addresses (row-buffer locality in the DRAM model depends on them): weight slabs in inventory
    order inside a layer, the LM head after the last layer, the KV cache head-major for the run's longest
    context."""
    num = resolve_numerics(llama, hw.deployment)
    comp = FpgaCompiler(hw)
    kv_tokens = 512
    prog = comp.compile(build_decode(llama, 2, 256, num), kv_tokens)

    def extents(name, opcode=LOAD):  # type: ignore[no-untyped-def]
        tr = _by_name(prog, name).trace
        sel = (tr["opcode"] == opcode) & (tr["region"] <= 1)  # weights and KV cache (not the RoPE tables)
        return list(zip(tr["addr"][sel].tolist(), (tr["addr"][sel] + tr["bytes"][sel]).tolist()))

    # weights: each projection streams its own slab, one after the other in the layer's inventory order
    spans = {n: extents(n) for n in ("q_proj", "k_proj", "v_proj", "o_proj", "gate", "up", "down")}
    lo = {n: min(a for a, _ in s) for n, s in spans.items()}
    hi = {n: max(b for _, b in s) for n, s in spans.items()}
    order = ["q_proj", "k_proj", "v_proj", "o_proj", "gate", "up", "down"]
    assert lo["q_proj"] == 64 * 2**10  # after the attention norm (tensors start on 64 KiB boundaries)
    for a, b in zip(order, order[1:]):
        assert hi[a] <= lo[b]  # (the norm weights sit in between)
    layer_w = prog.region_stride[0]
    assert hi["down"] <= layer_w
    assert min(a for a, _ in extents("lm_head")) >= layer_w * 32  # after the last layer's slab

    # KV cache: per (keys/values, sequence, head) a run of kv_tokens tokens
    tok = 128 * 1  # head_dim x int8
    k_loads, v_loads = extents("attn_qk"), extents("attn_pv")
    assert len({a for a, _ in k_loads}) == len(k_loads) == 2 * 32  # 2 sequences x 32 heads, one chunk each
    assert sorted(a for a, _ in k_loads) == [h * kv_tokens * tok for h in range(64)]
    assert min(a for a, _ in v_loads) == 2 * 32 * kv_tokens * tok  # values after every sequence's keys
    assert prog.region_stride[1] == 2 * 2 * 32 * kv_tokens * tok  # K + V, 2 sequences, one layer
    # the new token (position 255) is written at its slot, keys and values apart
    (k_at, _), (v_at, _) = extents("kv_append", STORE)
    assert k_at == 255 * tok and v_at == 2 * 32 * kv_tokens * tok + 255 * tok


@pytest.mark.parametrize("model", ["gpt2-small", "opt-6.7b", "llama3-8b", "mixtral-8x7b"])
def test_every_linear_weight_has_a_place_in_the_memory_map(hw, model) -> None:  # type: ignore[no-untyped-def]
    m = load_workload(model)
    graph = build_decode(m, 1, 64, resolve_numerics(m, hw.deployment))
    offsets, layer_slab, _ = FpgaCompiler._weight_offsets(graph)
    linears = [op for sec in graph.sections for op in sec.ops if op.kind == "linear"]
    assert linears and all(op.params[0].name in offsets for op in linears)
    starts = sorted(offsets.values())
    assert len(set(starts)) == len(starts)  # no two tensors share an address


def _max_address(prog) -> int:  # type: ignore[no-untyped-def]
    """One past the highest byte a program's loads and stores touch (absolute addresses)."""
    base, stride = np.array(prog.region_base), np.array(prog.region_stride)
    top = 0
    for bi, layer in prog.sequence:
        tr = prog.blocks[int(bi)].trace
        mem = (tr["opcode"] == LOAD) | (tr["opcode"] == STORE)
        if mem.any():
            reg = tr["region"][mem]
            ends = base[reg] + layer * stride[reg] + tr["addr"][mem] + tr["bytes"][mem]
            top = max(top, int(ends.max()))
    return top


@pytest.mark.parametrize("model", ["llama2-7b", "gpt2-small"])
def test_memory_plan_covers_every_address_a_run_touches(hw, model) -> None:  # type: ignore[no-untyped-def]
    """The capacity check sizes the map compile() addresses: weights in aligned tensors, the KV cache for the
    run's longest context (decode bucket), the activation scratch, the tables (RoPE sin/cos; GPT-2 has none;
    its learned positions are read from the weights' map)."""
    m = load_workload(model)
    num = resolve_numerics(m, hw.deployment)
    comp = FpgaCompiler(hw)
    prompt, gen = 100, 40
    q = comp.bucket("prefill", prompt)
    kv_tokens = comp.bucket("decode", prompt + gen)
    plan = comp.memory_plan(build_prefill(m, 2, q, num), 2, max(q, prompt + gen))
    progs = [comp.compile(build_prefill(m, 2, q, num), kv_tokens),
             comp.compile(build_decode(m, 2, kv_tokens, num), kv_tokens)]
    top = max(_max_address(p) for p in progs)
    assert top <= plan["total_bytes"]
    # the activation scratch and tables are reserved whole; everything else is used up to its last tensor
    assert top > plan["total_bytes"] - plan["activation_scratch_bytes"] - plan["tables_bytes"] - 2**20
    assert plan["total_bytes"] == sum(v for k, v in plan.items() if k != "total_bytes")
    assert (plan["tables_bytes"] == 0) == (model == "gpt2-small")


def test_capacity_counts_the_memory_map_not_just_the_parameter_bytes(llama) -> None:  # type: ignore[no-untyped-def]
    """A run whose weights' and KV cache's bytes fit the memory but whose map (alignment, scratch, tables)
    does not is refused with the parts named, instead of addresses running past the end of the memory."""
    from accelsim.errors import CapacityError

    hw = load_hardware("u280-flightllm")
    comp = FpgaCompiler(hw)
    cap = comp.dev.capacity
    graph = build_prefill(llama, 5, 128, resolve_numerics(llama, hw.deployment))
    per_token = kv_bytes_per_token(graph) * 5 * 32  # 5 sequences, 32 layers
    found = []
    for tokens in range(2048, 4097, 16):
        raw = graph.parameter_bytes + per_token * tokens
        plan = comp.memory_plan(graph, 5, tokens)
        if raw <= cap < plan["total_bytes"]:
            found.append(tokens)
    assert found  # the map's extra ~100 MB exceeds one 16-token step of the KV cache
    with pytest.raises(CapacityError) as err:
        comp.check_capacity(graph, 5, found[0])
    msg = err.value.message
    assert "activation scratch" in msg and "KiB-aligned" in msg and f"5 x {found[0]} tokens" in msg
    comp.check_capacity(graph, 5, found[0] - 16 * len(found))  # the last size whose map fits
