"""The ``accelsim`` command: run, list, trace, validate.

Every user error (bad YAML, unknown key, bad size, a model that does not fit) is printed as one message
naming the file, the key path and the fix, with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from typing import Sequence

from . import __version__
from .errors import AccelsimError

__all__ = ["main"]


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _add_scenario(p: argparse.ArgumentParser) -> None:
    """The scenario options of `run` and `compare`."""
    p.add_argument("--batch", type=_positive_int, default=1, help="sequences in the batch (default 1)")
    p.add_argument("--prompt", type=_positive_int, default=128, help="prompt tokens per sequence (default 128)")
    p.add_argument("--gen", type=_positive_int, default=128, help="decode steps / generated tokens (default 128)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="accelsim", description="Cycle-level simulator for LLM-inference hardware.")
    p.add_argument("--version", action="version", version=f"accelsim {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="simulate a workload's prefill and every decode step on a device")
    r.add_argument("hw", help="hwconfig path or shipped name (see `accelsim list`)")
    r.add_argument("workload", help="workload path or shipped name")
    _add_scenario(r)
    r.add_argument("--fidelity", choices=("cycle", "exact", "roofline"), default="cycle",
                   help="cycle: cycle-level with exact reuse of repeated blocks (default); exact: no reuse; "
                        "roofline: per-op roofline bounds only")
    r.add_argument("--out", metavar="DIR", help="write result.json, result.csv and decode_steps.csv here")
    r.add_argument("--timeline", metavar="FILE", help="write a Chrome-trace JSON timeline (open in Perfetto)")
    r.add_argument("--json", action="store_true", help="print the result as one JSON object")
    r.add_argument("--numerics", action="store_true",
                   help="also run the deployment's number formats against the float64 reference (error metrics)")
    r.add_argument("--numerics-layers", type=_positive_int, default=2, help="layers of the functional run (default 2)")
    r.add_argument("--numerics-tokens", type=_positive_int, default=8,
                   help="decode steps of the functional run (default 8)")

    nm = sub.add_parser("numerics", help="error of a device's number formats against the float64 reference model")
    nm.add_argument("hw", help="hwconfig path or shipped name (its deployment formats and sparsity are used)")
    nm.add_argument("workload", help="workload path or shipped name")
    nm.add_argument("--layers", type=_positive_int, default=2, help="decoder layers to run (default 2)")
    nm.add_argument("--tokens", type=_positive_int, default=8, help="decode steps to compare (default 8)")
    nm.add_argument("--prompt", type=_positive_int, default=8, help="prompt tokens (default 8)")
    nm.add_argument("--hidden", type=_positive_int, default=None,
                    help="scale the model down to this width (default: the model's own)")
    nm.add_argument("--vocab", type=_positive_int, default=None, help="vocabulary size (default: the model's)")
    nm.add_argument("--seed", type=int, default=0, help="seed of the random weights and prompt (default 0)")
    nm.add_argument("--json", action="store_true", help="print one JSON object")

    sub.add_parser("list", help="name the shipped hwconfigs, workloads and experiments")

    t = sub.add_parser("trace", help="write the instruction trace of one prefill or decode step as CSV")
    t.add_argument("hw")
    t.add_argument("workload")
    t.add_argument("--phase", choices=("prefill", "decode"), default="decode")
    t.add_argument("--context", type=_positive_int, required=True,
                   help="decode: KV length of the step; prefill: prompt tokens")
    t.add_argument("--batch", type=_positive_int, default=1)
    t.add_argument("--out", metavar="FILE", help="CSV file to write (default: standard output)")

    v = sub.add_parser("validate", help="compare with the reference data and print the error table")
    v.add_argument("--area", action="append", choices=("flightllm", "dram", "gemm", "gpu", "cambricon"),
                   help="only this area (repeatable; default: all)")
    v.add_argument("--json", action="store_true", help="print the cases as JSON")

    d = sub.add_parser("dram", help="replay a DRAMsim3-format request trace through the cycle-level DRAM model")
    src = d.add_mutually_exclusive_group(required=True)
    src.add_argument("--dramsim3-config", metavar="FILE.ini", help="a DRAMsim3 .ini configuration")
    src.add_argument("--standard", help="an accelsim DRAM standard (HBM2, HBM2E, HBM3, DDR4, DDR5, GDDR6, LPDDR5, ...)")
    d.add_argument("--preset", help="preset of --standard (default: the preset named like the standard)")
    d.add_argument("--trace", required=True, help="trace file: one '0x<hex address> READ|WRITE <cycle>' per line")
    d.add_argument("--issue-rate", choices=("1", "unlimited"), default="1",
                   help="1: at most one new request per memory cycle (DRAMsim3's trace CPU); "
                        "unlimited: as many as the queues accept")
    d.add_argument("--no-skip", action="store_true", help="tick every cycle (same results, slower)")
    d.add_argument("--json", action="store_true", help="print one JSON object")

    c = sub.add_parser("compare", help="run one workload on several devices and compare them side by side")
    c.add_argument("workload", help="workload path or shipped name")
    c.add_argument("hw", nargs="+", help="hwconfig paths or shipped names (FPGA and GPU)")
    _add_scenario(c)
    c.add_argument("--lifetime-years", type=float, default=None,
                   help="years the device price is amortised over for the cost per token (default 3)")
    c.add_argument("--usd-per-kwh", type=float, default=None, help="electricity price (default 0.10 $/kWh)")
    c.add_argument("--out", metavar="DIR", help="write comparison.csv, comparison.json and comparison.png here")
    c.add_argument("--json", action="store_true", help="print the comparison as one JSON object")

    g = sub.add_parser("gemm", help="cost one GEMM on a systolic array (SCALE-Sim v3 semantics)",
                       description="Cycles, utilisation and SRAM/DRAM traffic of C[M,N] = A[M,K] B[K,N] on a "
                                   "ROWSxCOLS systolic array, as SCALE-Sim v3 counts them (CALC bandwidth mode).")
    g.add_argument("--array", required=True, metavar="ROWSxCOLS", help="array size, e.g. 32x32 or 128x128")
    g.add_argument("--dataflow", required=True, metavar="os|ws|is",
                   help="os: output stationary; ws: weight (filter) stationary; is: input stationary")
    g.add_argument("--M", required=True, metavar="M", help="rows of A and C (e.g. tokens)")
    g.add_argument("--N", required=True, metavar="N", help="columns of B and C (output features)")
    g.add_argument("--K", required=True, metavar="K", help="reduction length (columns of A, rows of B)")
    g.add_argument("--sram-kb", default="64,64,64", metavar="IFMAP,FILTER,OFMAP",
                   help="SRAM per operand in kB (1024 one-byte words), default 64,64,64")
    g.add_argument("--json", action="store_true", help="print one JSON object")
    from .dse.cli import add_parsers as _add_dse_parsers

    _add_dse_parsers(sub)
    return p


def _cmd_run(a: argparse.Namespace) -> int:
    from .simulate import result_meta, simulate
    from .workload import Scenario

    numerics = {"layers": a.numerics_layers, "tokens": a.numerics_tokens} if a.numerics else None
    result = simulate(a.hw, a.workload, Scenario(a.batch, a.prompt, a.gen), fidelity=a.fidelity,
                      timeline_path=a.timeline, numerics=numerics)
    if a.out:
        result.write(a.out, result_meta(result, a.hw, a.workload))
    if a.json:
        print(result.to_json())
    else:
        print(result.table())
        if a.out:
            print(f"  wrote {os.path.join(a.out, 'result.json')} and CSV files")
        if a.timeline:
            print(f"  wrote timeline {a.timeline}")
    return 0


def _cmd_numerics(a: argparse.Namespace) -> int:
    from .config import load_hardware, load_workload
    from .functional.device import device_report

    hw, model = load_hardware(a.hw), load_workload(a.workload)
    report = device_report(hw, model, layers=min(a.layers, model.layers), tokens=a.tokens, prompt=a.prompt,
                           hidden=a.hidden, vocab=a.vocab, seed=a.seed)
    if a.json:
        print(json.dumps(report.to_dict()))
    else:
        print(report.table())
    return 0


def _cmd_sweep(a: argparse.Namespace) -> int:
    from .dse.cli import cmd_sweep

    return cmd_sweep(a)


def _cmd_plot(a: argparse.Namespace) -> int:
    from .dse.cli import cmd_plot

    return cmd_plot(a)


def _cmd_list(_a: argparse.Namespace) -> int:
    from .config import shipped

    for kind in ("hwconfigs", "workloads", "experiments"):
        names = shipped(kind)
        print(f"{kind}:")
        for n in names:
            print(f"  {n}")
        if not names:
            print("  (none)")
    return 0


def _cmd_trace(a: argparse.Namespace) -> int:
    from .compiler.isa import trace_to_rows
    from .config import load_hardware, load_workload
    from .simulate import compile_step

    hw, model = load_hardware(a.hw), load_workload(a.workload)
    prog = compile_step(hw, model, a.phase, a.batch, a.context)
    rows = trace_to_rows(prog)
    fh = open(a.out, "w", newline="", encoding="utf-8") if a.out else sys.stdout
    try:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["run"])
        w.writeheader()
        w.writerows(rows)
    finally:
        if a.out:
            fh.close()
    if a.out:
        print(f"wrote {len(rows)} instructions to {a.out}", file=sys.stderr)
    return 0


def _cmd_validate(a: argparse.Namespace) -> int:
    from .validate import AREAS, format_table, run

    cases = run(tuple(a.area) if a.area else AREAS)
    if a.json:
        print(json.dumps([c.to_dict() for c in cases], indent=2))
    else:
        print(format_table(cases))
        if "cambricon" in (a.area or AREAS):
            from .validate.cambricon import tile_study

            print("\ncambricon tile study on S (informational): how much faster the 256x2048 tile decodes")
            for r in tile_study():
                print(f"  {r['model']:<10} vs {r['tile']:<9} {r['faster_pct']:+6.1f} %  (paper: {r['paper_pct']:+.1f} %; "
                      f"{r['base_tokens_per_s']:.3f} vs {r['tokens_per_s']:.3f} tok/s)")
            from .validate.cambricon import slicing_study

            print("\ncambricon read-slicing study on S (informational): decode speedup of sliced over whole-page "
                  "transfers")
            for r in slicing_study():
                print(f"  {r['model']:<10} {r['speedup']:5.2f}x  (paper: {r['paper_low']:.1f}-{r['paper_high']:.1f}x; "
                      f"{r['tokens_per_s']:.3f} vs {r['unsliced_tokens_per_s']:.3f} tok/s; channel buses "
                      f"{100 * r['channel_utilization']:.0f} % busy)")
    return 0 if all(c.ok for c in cases) else 1


def _cmd_dram(a: argparse.Namespace) -> int:
    from .config.dram import dram_presets, load_dram_preset, read_dramsim3_ini
    from .engine.dram import parse_trace, replay_trace

    ignored: list[str] = []
    if a.dramsim3_config:
        cfg, ignored = read_dramsim3_ini(a.dramsim3_config)
    else:
        preset = a.preset
        if preset is None:
            names = [n for n, v in dram_presets().items() if v.get("standard") == a.standard]
            preset = a.standard if a.standard in names else (sorted(names)[0] if names else a.standard)
        cfg = load_dram_preset(preset, a.standard)
    addrs, writes, cycles = parse_trace(a.trace)
    res = replay_trace(cfg, addrs, writes, cycles, unlimited=a.issue_rate == "unlimited", skip=not a.no_skip,
                       ignored=ignored)
    if a.json:
        print(json.dumps(res.to_dict()))
        return 0
    d = res
    print(f"{d.requests:,} requests in {d.cycles:,} memory cycles (tCK {d.tCK_ns} ns)")
    print(f"  bandwidth            {d.bandwidth_gbps:10.3f} GB/s")
    print(f"  average read latency {d.avg_read_latency_cycles:10.2f} cycles ({d.avg_read_latency_ns:.2f} ns)")
    print(f"  row-hit rate         {100 * d.row_hit_rate:10.2f} %")
    print(f"  commands             ACT {d.act_count:,}  PRE {d.pre_count:,}  REF {d.ref_count:,}  "
          f"RD {d.read_cmds:,}  WR {d.write_cmds:,}")
    print(f"  energy               {d.energy_pj / 1e6:10.3f} uJ ({d.energy_pj_per_bit:.2f} pJ/bit)")
    if d.ignored_keys:
        print(f"  ignored .ini keys (DRAMsim3 does not read them either): {', '.join(d.ignored_keys)}")
    print(f"  simulated in {d.sim_wall_s:.2f} s ({d.requests / max(d.sim_wall_s, 1e-9) / 1e6:.2f} M requests/s)")
    return 0


def _cmd_compare(a: argparse.Namespace) -> int:
    from .compare import DEFAULT_LIFETIME_YEARS, DEFAULT_USD_PER_KWH, compare
    from .workload import Scenario

    years = DEFAULT_LIFETIME_YEARS if a.lifetime_years is None else a.lifetime_years
    kwh = DEFAULT_USD_PER_KWH if a.usd_per_kwh is None else a.usd_per_kwh
    if years <= 0:
        raise AccelsimError(f"must be greater than zero, got {years}", key_path="--lifetime-years",
                            hint="e.g. --lifetime-years 3")
    if kwh < 0:
        raise AccelsimError(f"must not be negative, got {kwh}", key_path="--usd-per-kwh", hint="e.g. --usd-per-kwh 0.1")
    comp = compare(a.workload, a.hw, Scenario(a.batch, a.prompt, a.gen), lifetime_years=years, usd_per_kwh=kwh)
    paths = comp.write(a.out) if a.out else []
    if a.json:
        print(comp.to_json())
    else:
        print(comp.table())
        for p in paths:
            print(f"  wrote {p}")
    return 0


def _cmd_gemm(a: argparse.Namespace) -> int:
    """`accelsim gemm`: check the arguments (one message naming the argument and the fix), cost one GEMM
    with the SCALE-Sim-equivalent model, print a table or one JSON object."""
    import time

    from .kernels.systolic import DATAFLOWS, demand_limits_error, gemm_cost

    def _gemm_whole(text: str, arg: str, example: str) -> int:
        """A whole number >= 1 for a ``gemm`` argument, or an :class:`AccelsimError` naming it."""
        try:
            value = int(text.strip())
        except ValueError:
            raise AccelsimError(f"expected a whole number, got {text!r}", key_path=arg, hint=f"e.g. {arg} {example}")
        if value < 1:
            raise AccelsimError(f"must be at least 1, got {value}", key_path=arg, hint=f"e.g. {arg} {example}")
        return value

    parts = a.array.lower().split("x")
    if len(parts) != 2 or not all(p.strip() for p in parts):
        raise AccelsimError(f"expected ROWSxCOLS, got {a.array!r}", key_path="--array",
                            hint="give rows and columns, e.g. --array 32x32 or --array 128x128")
    rows = _gemm_whole(parts[0], "--array", "32x32")
    cols = _gemm_whole(parts[1], "--array", "32x32")
    dataflow = a.dataflow.strip().lower()
    if dataflow not in DATAFLOWS:
        raise AccelsimError(f"unknown dataflow {a.dataflow!r}", key_path="--dataflow",
                            hint="use os (output stationary), ws (weight stationary) or is (input stationary)")
    m, n, k = (_gemm_whole(v, arg, "1024") for v, arg in ((a.M, "--M"), (a.N, "--N"), (a.K, "--K")))
    kb_parts = a.sram_kb.split(",")
    if len(kb_parts) != 3:
        raise AccelsimError(f"expected three sizes IFMAP,FILTER,OFMAP in kB, got {a.sram_kb!r}", key_path="--sram-kb",
                            hint="e.g. --sram-kb 64,64,64")
    kb = [_gemm_whole(v, "--sram-kb", "64,64,64") for v in kb_parts]
    too_big = demand_limits_error(m, n, k, rows, cols, dataflow)
    if too_big:
        raise AccelsimError(too_big, key_path="--M/--N/--K",
                            hint="use a larger array, or split the GEMM into smaller ones")
    t0 = time.perf_counter()
    cost = gemm_cost(m, n, k, rows, cols, dataflow, kb[0], kb[1], kb[2])
    wall = time.perf_counter() - t0
    if a.json:
        out = cost.to_dict()
        out.update(sram_kb={"ifmap": kb[0], "filter": kb[1], "ofmap": kb[2]}, model="SCALE-Sim v3.0.0, CALC",
                   sim_wall_s=wall)
        print(json.dumps(out))
        return 0
    c = cost
    print(f"GEMM C[{m},{n}] = A[{m},{k}] x B[{k},{n}] on a {rows}x{cols} array, dataflow {dataflow}, "
          f"SRAM {kb[0]}/{kb[1]}/{kb[2]} kB (ifmap/filter/ofmap); SCALE-Sim v3 semantics")
    print(f"  folds                {c.row_folds} x {c.col_folds} (rows x cols), {c.cycles_per_fold:,} cycles each")
    print(f"  compute cycles       {c.compute_cycles:>14,}   (stalls {c.stall_cycles:,})")
    print(f"  incl. prefetch       {c.cycles_with_prefetch:>14,}   (first DRAM read to last ofmap write)")
    print(f"  MACs                 {c.macs:>14,}")
    print(f"  utilisation          overall {c.overall_util_pct:.2f} %, mapping {c.mapping_efficiency_pct:.2f} %, "
          f"compute {c.compute_util_pct:.2f} %")
    print(f"  {'words':<20} {'ifmap reads':>14} {'filter reads':>14} {'ofmap writes':>14}")
    print(f"  {'SRAM':<20} {c.sram_ifmap_reads:>14,} {c.sram_filter_reads:>14,} {c.sram_ofmap_writes:>14,}")
    print(f"  {'DRAM':<20} {c.dram_ifmap_reads:>14,} {c.dram_filter_reads:>14,} {c.dram_ofmap_writes:>14,}")
    print(f"  costed in {wall * 1e3:.1f} ms")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    handlers = {"run": _cmd_run, "list": _cmd_list, "trace": _cmd_trace, "validate": _cmd_validate,
                "dram": _cmd_dram, "gemm": _cmd_gemm, "numerics": _cmd_numerics, "sweep": _cmd_sweep, "plot": _cmd_plot,
                "compare": _cmd_compare}
    try:
        return handlers[args.command](args)
    except AccelsimError as exc:
        print(f"accelsim: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        print("accelsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
