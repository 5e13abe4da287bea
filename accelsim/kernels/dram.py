"""Cycle-level DRAM controller and device timing (Numba), with DRAMsim3's controller semantics.

Per channel: a read queue and a write buffer of transactions, per-bank (or per-rank) command queues, bank
state machines (open row, row-hit count, earliest cycle of every command type), a four-activate window
per rank (and a 32-activate window for GDDR), refresh (all-bank by rank, staggered, or per bank), and the
controller's per-cycle loop: insert due refreshes, issue one command (refresh first; otherwise the first
ready command of each queue, queues taken round robin, row hits before precharges; HBM may issue a row and
a column command together), then move one transaction into its command queue. Reads complete read_delay
cycles after their column command; writes are posted.

Timing constraints are kept at three levels (bank, bank group, rank): a command's effect on "other banks of
its group" is recorded once for the group, on "other groups" once for the rank; a bank's earliest cycle for
a command is the maximum over the three levels. This equals per-bank bookkeeping because every same-bank
delay dominates the group and rank ones (the configuration checks tCCD/tRRD/tWTR _S <= _L); per-bank
refresh, whose bank gets no constraint of its own in DRAMsim3, is applied bank by bank.

Speed: all state of a channel lives in one row of an int64 array (``S[c]``: a channel's snapshot is one row
copy); pending reads and writes are hash sets; each command queue caches the cycle before which it cannot
yield a command (constraints only tighten with time, so the bound holds until the queue or its banks
change), a stale mask names the queues whose bound was reset, and a lower bound of the others' bounds lets a
tick find the ready queues without reading them; a per-bank queue's first ready command needs its bank's
state and at most three earliest-cycle lookups (only the oldest entry may precharge); each transaction's
command queue is packed beside the transaction queue and a full-queue mask makes the transaction scan cheap.
A channel is not ticked on cycles where nothing can happen (no command ready, no transaction movable, no
refresh due): those cycles only add to the idle counters, in one step when the channel next has work.
``skip=0`` ticks every cycle and gives the same command sequence; the tests compare both, and this kernel
against the plain-Python twin in ``reference_dram.py``. Helpers are compiled without NRT reference counting
(``_nrt=False``: they take arrays and allocate nothing) and inlined into the drivers (``forceinline``): the
reference-count updates on every call took two thirds of the time. Each helper is inlined at one site per
driver (``_tick`` has one ``_get_command`` and one ``_issue``, ``run_trace`` one ``_advance``): the drivers'
code stays small. Array indices are unsigned (``_u``), which spares Numba's negative-index wraparound.

Drivers: ``run_trace`` replays a DRAMsim3-style trace over all channels (one request per cycle, or as many
as accepted, in order); ``mem_register``/``mem_step`` feed the engine's load/store instructions as request
streams and report when each is accepted and completed; ``advance_to``/``settle`` bring clocks forward.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["P", "CH", "STAT", "N_CMD", "layout", "new_state", "run_trace", "advance_to", "settle", "settle_channels",
           "split_channel", "mem_register", "mem_step", "N_TG", "N_SM"]

# command types (accelsim.config.dram.CMD order)
C_RD, C_RDP, C_WR, C_WRP, C_ACT, C_PRE, C_REFB, C_REF = 0, 1, 2, 3, 4, 5, 6, 7
C_PREA = 8  # precharge all (accelsim extension, used for refresh when configured)
N_CMD = 8
S_SB, S_OB, S_OG, S_OR, S_SR = 0, 1, 2, 3, 4

_PARAMS = (
    "channels", "ranks", "bankgroups", "bpg", "banks", "nq", "cq", "tq", "drain_thr", "unified", "per_bank",
    "open_page", "frfcfs", "read_delay", "write_delay", "tfaw", "t32aw", "gddr", "dual", "ref_interval",
    "ref_policy", "prea", "shift", "pos_ch", "pos_ra", "pos_bg", "pos_ba", "pos_ro", "pos_co", "mask_ch",
    "mask_ra", "mask_bg", "mask_ba", "mask_ro", "mask_co", "rq_cap", "skip", "hit_limit", "hbits",
    "o_ch", "o_st", "o_rk", "o_tq", "o_pr", "o_pw", "o_cq", "o_cqn", "o_bank", "o_tb", "o_tg", "o_tr",
    "o_faw", "o_aw32", "o_refq", "o_opn", "o_qrdy", "o_tqq", "o_tql", "o_tqht", "o_tqf", "o_cqh", "o_prv", "chsize",
)
P = {n: i for i, n in enumerate(_PARAMS)}
N_P = len(_PARAMS)
(I_CHANNELS, I_RANKS, I_BGS, I_BPG, I_BANKS, I_NQ, I_CQ, I_TQ, I_DRAIN_THR, I_UNIFIED, I_PER_BANK, I_OPEN_PAGE,
 I_FRFCFS, I_READ_DELAY, I_WRITE_DELAY, I_TFAW, I_T32AW, I_GDDR, I_DUAL, I_REF_INTERVAL, I_REF_POLICY, I_PREA,
 I_SHIFT, I_POS_CH, I_POS_RA, I_POS_BG, I_POS_BA, I_POS_RO, I_POS_CO, I_MASK_CH, I_MASK_RA, I_MASK_BG, I_MASK_BA,
 I_MASK_RO, I_MASK_CO, I_RQ_CAP, I_SKIP, I_HIT_LIMIT, I_HBITS, O_CH, O_ST, O_RK, O_TQ, O_PR, O_PW, O_CQ,
 O_CQN, O_BANK, O_TB, O_TG, O_TR, O_FAW, O_AW32, O_REFQ, O_OPN, O_QRDY, O_TQQ, O_TQL, O_TQHT, O_TQF,
 O_CQH, O_PRV, I_CHSIZE) = range(N_P)

# per-channel scalars (offset O_CH)
_CH = ("rq_n", "wq_n", "pr_n", "pw_n", "q_idx", "drain", "ref_n", "in_ref", "ref_rank", "ref_q", "ref_next",
       "ref_nrank", "ref_nbg", "ref_nbank", "last_done", "next_evt", "sched_blocked", "clk", "cq_total", "rq_alloc",
       "wq_alloc", "cq_mask", "fence", "cq_full", "q_stale", "q_min", "act_wait", "rq_wait", "wq_wait", "tq_seq",
       "frc_t", "frc_q", "frc_cmd", "frc_e")
CH = {n: i for i, n in enumerate(_CH)}
(F_RQN, F_WQN, F_PRN, F_PWN, F_QIDX, F_DRAIN, F_REFN, F_INREF, F_REFRANK, F_REFQ, F_REFNEXT, F_NRANK, F_NBG,
 F_NBANK, F_LAST, F_NEXT, F_SBLK, F_CLK, F_CQT, F_RQA, F_WQA, F_CQMASK, F_FENCE, F_CQFULL, F_QSTALE,
 F_QMIN, F_ACTWAIT, F_RQWAIT, F_WQWAIT, F_TQSEQ, F_FRCT, F_FRCQ, F_FRCCMD, F_FRCE) = range(len(_CH))

# statistics per channel (offset O_ST)
_STAT = ("reads_done", "writes_done", "read_cmds", "write_cmds", "read_hits", "write_hits", "act", "pre", "ref",
         "refb", "read_lat_sum", "dual_cmds", "ticks", "prea")
STAT = {n: i for i, n in enumerate(_STAT)}
(T_RDONE, T_WDONE, T_RDC, T_WRC, T_RDH, T_WRH, T_ACT, T_PRE, T_REF, T_REFB, T_LAT, T_DUAL, T_TICKS,
 T_PREA) = range(len(_STAT))

# pending-read fields (beside the hash set's keys): requests merged, sum of their arrival cycles, up to two
# engine tags and each one's count
V_CNT, V_ADDED, V_TAG1, V_N1, V_TAG2, V_N2 = range(6)
N_PV = 6
# queue entry fields
Q_ADDR, Q_ADDED, Q_RANK, Q_BG, Q_BA, Q_ROW, Q_COL, Q_KIND = range(8)
N_Q = 8  # one 64-byte cache line per entry (regions start on 8-word boundaries)
BIG = np.int64(1) << np.int64(62)
# array indices are cast to unsigned (``S[_u(c), _u(off)]``): Numba then omits the negative-index wraparound
# (a compare and select per index, on every state access); every index here is >= 0
_u = np.uint64

# tag table (engine streams): per tag, outstanding reads/writes, completion cycle, acceptance cycle, streams still
# offering requests, flags (1: in use, 2: acceptance reported, 4: completion reported)
TG_OUT_R, TG_OUT_W, TG_DONE, TG_ACC, TG_UNOFF, TG_FLAGS = range(6)
N_TG = 6
# stream table: one row per (access, channel) still offering requests
SM_ACTIVE, SM_CHAN, SM_BASE, SM_K, SM_NREQ, SM_RB, SM_W, SM_INT, SM_LAST, SM_TAG = range(10)
N_SM = 10


def layout(params: np.ndarray) -> np.ndarray:
    """Fill in the per-channel offsets of every structure in ``params`` (in place) and return it."""
    r, bg, b = int(params[I_RANKS]), int(params[I_BGS]), int(params[I_BANKS])
    nq, cq, tq = int(params[I_NQ]), int(params[I_CQ]), int(params[I_TQ])
    h = 1 << int(params[I_HBITS])
    sizes = ((O_CH, len(_CH)), (O_ST, len(_STAT)), (O_RK, r * 2), (O_TQ, 2 * tq * N_Q),
             (O_PR, h), (O_PW, h), (O_CQ, nq * cq * N_Q), (O_CQN, nq), (O_BANK, r * b * 3),
             (O_TB, r * b * N_CMD), (O_TG, r * bg * N_CMD), (O_TR, r * N_CMD), (O_FAW, r * 5), (O_AW32, r * 33),
             (O_REFQ, int(params[I_RQ_CAP]) * 4), (O_OPN, r), (O_QRDY, nq), (O_TQQ, 2 * tq), (O_TQL, 2 * tq * 2),
             (O_TQHT, 2 * nq * 2), (O_TQF, 2 * tq), (O_CQH, nq), (O_PRV, h * N_PV))
    off = 0
    for idx, size in sizes:
        params[idx] = off
        off += -(-size // 8) * 8  # each region starts on a cache line (with a 64-byte aligned row)
    params[I_CHSIZE] = off
    return params


def new_state(params: np.ndarray) -> np.ndarray:
    """Fresh state of every channel: idle, banks closed, first refresh due after one interval."""
    s = np.zeros((int(params[I_CHANNELS]), int(params[I_CHSIZE])), np.int64)
    och = int(params[O_CH])
    s[:, och + F_REFNEXT] = params[I_REF_INTERVAL]
    s[:, och + F_REFQ] = -1
    s[:, och + F_REFRANK] = -1
    return s


# ---------------------------------------------------------------------------------------------- helpers
_DEBRUIJN = np.int64(0x03F79D71B4CB0A89)
_DEBRUIJN_TABLE = np.array([0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36, 53, 51, 43, 22,
                            45, 39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23,
                            11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6], dtype=np.int64)


@njit(cache=True, inline="always", error_model="numpy")
def _lowest_bit(m: np.int64) -> np.int64:
    """Index of the lowest set bit of m (m != 0)."""
    b = m & -m
    return _DEBRUIJN_TABLE[np.int64((np.uint64(b) * np.uint64(_DEBRUIJN)) >> np.uint64(58))]


@njit(cache=True, inline="always", error_model="numpy")
def _queue_index(p: np.ndarray, rank: np.int64, bg: np.int64, ba: np.int64) -> np.int64:
    if p[I_PER_BANK] == 1:
        return rank * p[I_BANKS] + bg * p[I_BPG] + ba
    return rank


@njit(cache=True, inline="always", error_model="numpy")
def _earliest(p: np.ndarray, S: np.ndarray, c: int, r: np.int64, g: np.int64, bidx: np.int64, t: int) -> np.int64:
    e = S[_u(c), _u(p[O_TB] + (r * p[I_BANKS] + bidx) * N_CMD + t)]
    v = S[_u(c), _u(p[O_TG] + (r * p[I_BGS] + g) * N_CMD + t)]
    if v > e:
        e = v
    v = S[_u(c), _u(p[O_TR] + r * N_CMD + t)]
    if v > e:
        e = v
    return e


@njit(cache=True, inline="always", error_model="numpy")
def _earliest_q(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, r: np.int64, g: np.int64, t: int) -> np.int64:
    """_earliest for the bank of per-bank queue q (q == r * banks + bank index: its per-bank row is q's)."""
    e = S[_u(c), _u(p[O_TB] + q * N_CMD + t)]
    v = S[_u(c), _u(p[O_TG] + (r * p[I_BGS] + g) * N_CMD + t)]
    if v > e:
        e = v
    v = S[_u(c), _u(p[O_TR] + r * N_CMD + t)]
    if v > e:
        e = v
    return e


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _faw_wait(p: np.ndarray, S: np.ndarray, c: int, r: np.int64, clk: np.int64) -> np.int64:
    """0 if the activate windows allow an ACT at clk, else the cycle the oldest entry expires."""
    o = p[O_FAW] + r * 5
    n = S[_u(c), _u(o)]
    if n >= 4 and clk < S[_u(c), _u(o + 1)]:
        return S[_u(c), _u(o + 1)]
    if p[I_GDDR] == 1:
        o = p[O_AW32] + r * 33
        n = S[_u(c), _u(o)]
        if n >= 32 and clk < S[_u(c), _u(o + 1)]:
            return S[_u(c), _u(o + 1)]
    return 0


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _record_act(p: np.ndarray, S: np.ndarray, c: int, r: np.int64, clk: np.int64) -> None:
    # DRAMsim3 keeps a list per rank: on ACT drop the oldest entry if it has expired, then append clk + window
    o = p[O_FAW] + r * 5
    n = S[_u(c), _u(o)]
    if n > 0 and clk >= S[_u(c), _u(o + 1)]:
        for i in range(1, n):
            S[_u(c), _u(o + i)] = S[_u(c), _u(o + i + 1)]
        n -= 1
    S[_u(c), _u(o + n + 1)] = clk + p[I_TFAW]
    S[_u(c), _u(o)] = n + 1
    if p[I_GDDR] == 1:
        o = p[O_AW32] + r * 33
        n = S[_u(c), _u(o)]
        if n > 0 and clk >= S[_u(c), _u(o + 1)]:
            for i in range(1, n):
                S[_u(c), _u(o + i)] = S[_u(c), _u(o + i + 1)]
            n -= 1
        S[_u(c), _u(o + n + 1)] = clk + p[I_T32AW]
        S[_u(c), _u(o)] = n + 1


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _raise(S: np.ndarray, c: int, idx: np.int64, t: np.int64) -> None:
    if t > S[_u(c), _u(idx)]:
        S[_u(c), _u(idx)] = t


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _update_timing(p: np.ndarray, T: np.ndarray, S: np.ndarray, c: int, cmd: int, r: np.int64, g: np.int64,
                   bidx: np.int64, clk: np.int64) -> None:
    nb, nbg, bpg = p[I_BANKS], p[I_BGS], p[I_BPG]
    if cmd == C_REF:
        base = p[O_TR] + r * N_CMD
        for t in range(N_CMD):
            d = T[_u(cmd), S_SR, _u(t)]
            if d >= 0:
                _raise(S, c, base + t, clk + d)
        return
    if cmd == C_REFB:
        # exact per-bank loops: DRAMsim3 gives the refreshed bank itself no constraint
        for gg in range(nbg):
            for k in range(bpg):
                bi = gg * bpg + k
                if bi == bidx:
                    continue
                scope = S_OB if gg == g else S_OG
                base = p[O_TB] + (r * nb + bi) * N_CMD
                for t in range(N_CMD):
                    d = T[_u(cmd), _u(scope), _u(t)]
                    if d >= 0:
                        _raise(S, c, base + t, clk + d)
        return
    tb = p[O_TB] + (r * nb + bidx) * N_CMD
    tg = p[O_TG] + (r * nbg + g) * N_CMD
    tr = p[O_TR] + r * N_CMD
    # "no constraint" entries of T are -BIG (kernel_params), so clk + d never raises: branch-free maxima
    for t in range(N_CMD):
        v = clk + T[_u(cmd), S_SB, _u(t)]
        o = S[_u(c), _u(tb + t)]
        S[_u(c), _u(tb + t)] = v if v > o else o
    for t in range(N_CMD):
        v = clk + T[_u(cmd), S_OB, _u(t)]
        o = S[_u(c), _u(tg + t)]
        S[_u(c), _u(tg + t)] = v if v > o else o
    for t in range(N_CMD):
        v = clk + T[_u(cmd), S_OG, _u(t)]
        o = S[_u(c), _u(tr + t)]
        S[_u(c), _u(tr + t)] = v if v > o else o
    if p[I_RANKS] > 1:
        for t in range(N_CMD):
            d = T[_u(cmd), S_OR, _u(t)]
            if d >= 0:
                for rr in range(p[I_RANKS]):
                    if rr != r:
                        _raise(S, c, p[O_TR] + rr * N_CMD + t, clk + d)


# ---------------------------------------------------------------------------------------------- pending sets
@njit(cache=True, inline="always", error_model="numpy")
def _home(p: np.ndarray, addr: np.int64) -> np.int64:
    return np.int64((np.uint64(addr) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(64 - p[I_HBITS]))


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _ht_find(p: np.ndarray, S: np.ndarray, c: int, off: np.int64, addr: np.int64) -> np.int64:
    """Slot index (0-based) of addr in the hash set whose keys (address + 1, 0: free) start at ``off``, or -1.

    The keys are dense (a probe reads one word per slot); the pending-read set keeps its fields apart."""
    mask = (np.int64(1) << p[I_HBITS]) - 1
    i = _home(p, addr)
    key = addr + 1
    while S[_u(c), _u(off + i)] != 0:
        if S[_u(c), _u(off + i)] == key:
            return i
        i = (i + 1) & mask
    return np.int64(-1)


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _ht_insert(p: np.ndarray, S: np.ndarray, c: int, off: np.int64, addr: np.int64) -> tuple:
    """(slot of addr, whether it was created)."""
    mask = (np.int64(1) << p[I_HBITS]) - 1
    i = _home(p, addr)
    key = addr + 1
    while S[_u(c), _u(off + i)] != 0:
        if S[_u(c), _u(off + i)] == key:
            return i, False
        i = (i + 1) & mask
    S[_u(c), _u(off + i)] = key
    return i, True


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _ht_delete(p: np.ndarray, S: np.ndarray, c: int, off: np.int64, voff: np.int64, width: int,
               i: np.int64) -> None:
    """Remove slot i (linear probing, backward-shift deletion: no tombstones); ``width`` fields per slot at
    ``voff`` move with their keys."""
    mask = (np.int64(1) << p[I_HBITS]) - 1
    j = i
    while True:
        j = (j + 1) & mask
        kj = S[_u(c), _u(off + j)]
        if kj == 0:
            break
        k = _home(p, kj - 1)
        if (j > i and (k <= i or k > j)) or (j < i and (k <= i and k > j)):
            S[_u(c), _u(off + i)] = kj
            for f in range(width):
                S[_u(c), _u(voff + i * width + f)] = S[_u(c), _u(voff + j * width + f)]
            i = j
    S[_u(c), _u(off + i)] = 0


# ---------------------------------------------------------------------------------------------- one channel
@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _required(p: np.ndarray, S: np.ndarray, c: int, r: np.int64, bidx: np.int64, kind: np.int64,
              row: np.int64) -> np.int64:
    """The command a queued read/write needs next: ACT (bank closed), itself (row open), or PRE."""
    o = p[O_BANK] + (r * p[I_BANKS] + bidx) * 3
    if S[_u(c), _u(o)] == 0:
        return C_ACT
    if S[_u(c), _u(o + 1)] == row:
        return kind
    return C_PRE


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _cq_off(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, e: np.int64) -> np.int64:
    """Offset of entry e (0: the oldest) of command queue q, a ring of cq entries starting at its head."""
    i = S[_u(c), _u(p[O_CQH] + q)] + e
    if i >= p[I_CQ]:
        i -= p[I_CQ]
    return p[O_CQ] + (q * p[I_CQ] + i) * N_Q


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _arbitrate_pre(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, e: int) -> bool:
    """DRAMsim3's ArbitratePrecharge: no older command to the bank, and no pending row hit (or 4 hits done)."""
    eo = _cq_off(p, S, c, q, e)
    r, g, ba = S[_u(c), _u(eo + Q_RANK)], S[_u(c), _u(eo + Q_BG)], S[_u(c), _u(eo + Q_BA)]
    for k in range(e):
        ko = _cq_off(p, S, c, q, k)
        if S[_u(c), _u(ko + Q_RANK)] == r and S[_u(c), _u(ko + Q_BG)] == g and S[_u(c), _u(ko + Q_BA)] == ba:
            return False
    bo = p[O_BANK] + (r * p[I_BANKS] + g * p[I_BPG] + ba) * 3
    open_row = S[_u(c), _u(bo + 1)]
    for k in range(e, S[_u(c), _u(p[O_CQN] + q)]):
        ko = _cq_off(p, S, c, q, k)
        if (S[_u(c), _u(ko + Q_ROW)] == open_row and S[_u(c), _u(ko + Q_BA)] == ba and S[_u(c), _u(ko + Q_BG)] == g
                and S[_u(c), _u(ko + Q_RANK)] == r):
            return S[_u(c), _u(bo + 2)] >= p[I_HIT_LIMIT]
    return True


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _rw_dependency(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, e: int) -> bool:
    """A write must not pass an older read of the same column."""
    eo = _cq_off(p, S, c, q, e)
    for k in range(e):
        ko = _cq_off(p, S, c, q, k)
        kind = S[_u(c), _u(ko + Q_KIND)]
        if ((kind == C_RD or kind == C_RDP) and S[_u(c), _u(ko + Q_ROW)] == S[_u(c), _u(eo + Q_ROW)]
                and S[_u(c), _u(ko + Q_COL)] == S[_u(c), _u(eo + Q_COL)] and S[_u(c), _u(ko + Q_BA)] == S[_u(c), _u(eo + Q_BA)]
                and S[_u(c), _u(ko + Q_BG)] == S[_u(c), _u(eo + Q_BG)]):
            return True
    return False


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _first_ready_bank(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, clk: np.int64, n: np.int64) -> tuple:
    """_first_ready for a per-bank queue: every entry targets the same bank, so the bank's state and the
    earliest cycle of each command type are looked up once, and precharge arbitration reduces to "only the
    oldest entry may precharge, and not while a younger entry hits the open row (unless the bank has had
    hit_limit hits)". Same result as the general scan."""
    # the bank's rows are q's (q == r * banks + bank index): their addresses need not wait for the entry's
    bo = p[O_BANK] + q * 3
    cqo = _cq_off(p, S, c, q, 0)
    r, g = S[_u(c), _u(cqo + Q_RANK)], S[_u(c), _u(cqo + Q_BG)]
    if S[_u(c), _u(bo)] == 0:
        et = _earliest_q(p, S, c, q, r, g, C_ACT)
        fw = _faw_wait(p, S, c, r, clk)
        if fw > et:
            et = fw
        if clk < et:
            return np.int64(-1), -2, et  # entry -2: waits for an ACT (see _act_gate)
        return np.int64(C_ACT), 0, BIG
    open_row = S[_u(c), _u(bo + 1)]
    min_t = BIG
    if S[_u(c), _u(cqo + Q_ROW)] == open_row:
        kind = S[_u(c), _u(cqo + Q_KIND)]
        et = _earliest_q(p, S, c, q, r, g, kind)
        if clk >= et:
            return kind, 0, min_t  # the oldest entry: no older read it could pass
        min_t = et
    else:
        et = _earliest_q(p, S, c, q, r, g, C_PRE)
        if clk >= et:
            allowed = True
            for k in range(1, n):
                if S[_u(c), _u(_cq_off(p, S, c, q, k) + Q_ROW)] == open_row:
                    allowed = S[_u(c), _u(bo + 2)] >= p[I_HIT_LIMIT]
                    break
            if allowed:
                return np.int64(C_PRE), 0, min_t
        else:
            min_t = et
    if n == 1:
        return np.int64(-1), -1, min_t
    # younger entries: only row hits can issue (a younger miss loses precharge arbitration to the oldest);
    # reads share one earliest cycle, writes another (one page policy per queue)
    rk = np.int64(C_RD) if p[I_OPEN_PAGE] == 1 else np.int64(C_RDP)
    wk = np.int64(C_WR) if p[I_OPEN_PAGE] == 1 else np.int64(C_WRP)
    et_r = _earliest_q(p, S, c, q, r, g, rk)
    et_w = _earliest_q(p, S, c, q, r, g, wk)
    if clk < et_r and clk < et_w:
        # nothing younger can issue before min(et_r, et_w) (a lower bound even if no entry of a kind exists)
        if et_r < min_t:
            min_t = et_r
        if et_w < min_t:
            min_t = et_w
        return np.int64(-1), -1, min_t
    for e in range(1, n):
        eo = _cq_off(p, S, c, q, e)
        if S[_u(c), _u(eo + Q_ROW)] != open_row:
            continue
        kind = S[_u(c), _u(eo + Q_KIND)]
        if kind == rk:
            if clk < et_r:
                if et_r < min_t:
                    min_t = et_r
                continue
            return kind, e, min_t
        if clk < et_w:
            if et_w < min_t:
                min_t = et_w
            continue
        if _rw_dependency(p, S, c, q, e):
            continue
        return kind, e, min_t
    return np.int64(-1), -1, min_t


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _first_ready(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, clk: np.int64) -> tuple:
    """First ready command of queue q: (command, entry, min_t), command -1 if none.

    ``min_t`` is the earliest cycle a time-blocked entry may become ready; entries held back by precharge
    arbitration or a read-write dependency give no time (only a command from this queue releases them).
    """
    min_t = BIG
    n = S[_u(c), _u(p[O_CQN] + q)]
    if p[I_FRFCFS] == 0 and n > 1:
        n = 1  # FCFS: only the oldest command of the queue
    if p[I_PER_BANK] == 1:
        return _first_ready_bank(p, S, c, q, clk, n)
    for e in range(n):
        eo = _cq_off(p, S, c, q, e)
        r, g, ba = S[_u(c), _u(eo + Q_RANK)], S[_u(c), _u(eo + Q_BG)], S[_u(c), _u(eo + Q_BA)]
        bidx = g * p[I_BPG] + ba
        req = _required(p, S, c, r, bidx, S[_u(c), _u(eo + Q_KIND)], S[_u(c), _u(eo + Q_ROW)])
        et = _earliest(p, S, c, r, g, bidx, req)
        if req == C_ACT:
            fw = _faw_wait(p, S, c, r, clk)
            if fw > et:
                et = fw
        if clk < et:
            if et < min_t:
                min_t = et
            continue
        if req == C_PRE:
            if not _arbitrate_pre(p, S, c, q, e):
                continue
        elif req == C_WR or req == C_WRP:
            if _rw_dependency(p, S, c, q, e):
                continue
        return req, e, min_t
    return np.int64(-1), -1, min_t


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _queue_blocked(p: np.ndarray, S: np.ndarray, c: int, q: int) -> bool:
    och = p[O_CH]
    if S[_u(c), _u(och + F_INREF)] == 0:
        return False
    if S[_u(c), _u(och + F_REFQ)] >= 0:
        return q == S[_u(c), _u(och + F_REFQ)]
    qr = q // p[I_BANKS] if p[I_PER_BANK] == 1 else q
    return qr == S[_u(c), _u(och + F_REFRANK)]


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _q_reset(p: np.ndarray, S: np.ndarray, c: int, q: np.int64) -> None:
    """Queue q changed: its cached bound no longer holds (it is ready to be scanned)."""
    S[_u(c), _u(p[O_CH] + F_FRCT)] = 0
    S[_u(c), _u(p[O_QRDY] + q)] = 0
    S[_u(c), _u(p[O_CH] + F_QSTALE)] |= np.int64(1) << q
    S[_u(c), _u(p[O_CH] + F_ACTWAIT)] &= ~(np.int64(1) << q)


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _q_bound(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, t: np.int64) -> None:
    """Queue q cannot yield a command before cycle t (t > now)."""
    och = p[O_CH]
    S[_u(c), _u(p[O_QRDY] + q)] = t
    S[_u(c), _u(och + F_QSTALE)] &= ~(np.int64(1) << q)
    if t < S[_u(c), _u(och + F_QMIN)]:
        S[_u(c), _u(och + F_QMIN)] = t


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _q_appended(p: np.ndarray, S: np.ndarray, c: int, q: np.int64, k: np.int64) -> None:
    """Queue q received a new youngest entry k. With older entries, the cached bound stays valid for them (a
    younger entry only delays them: precharge arbitration, read-write order) and is lowered to the earliest
    cycle the new entry itself might issue; a per-bank queue's new entry can issue only as a row hit on the
    open row (a closed bank's ACT is the oldest entry's)."""
    S[_u(c), _u(p[O_CH] + F_FRCT)] = 0
    if k == 0:
        _q_reset(p, S, c, q)
        return
    if p[I_FRFCFS] == 0:
        return  # FCFS: only the oldest entry issues
    eo = _cq_off(p, S, c, q, k)
    r, g, ba = S[_u(c), _u(eo + Q_RANK)], S[_u(c), _u(eo + Q_BG)], S[_u(c), _u(eo + Q_BA)]
    bidx = g * p[I_BPG] + ba
    req = _required(p, S, c, r, bidx, S[_u(c), _u(eo + Q_KIND)], S[_u(c), _u(eo + Q_ROW)])
    if p[I_PER_BANK] == 1 and req >= C_ACT:
        return
    t = _earliest(p, S, c, r, g, bidx, req)
    if t < S[_u(c), _u(p[O_QRDY] + q)]:
        S[_u(c), _u(p[O_QRDY] + q)] = t
        if t < S[_u(c), _u(p[O_CH] + F_QMIN)]:
            S[_u(c), _u(p[O_CH] + F_QMIN)] = t


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _act_gate(p: np.ndarray, S: np.ndarray, c: int, r: np.int64, clk: np.int64) -> np.int64:
    """A lower bound of the cycle rank r may issue its next ACT: tRRD_S and the activate windows."""
    g = S[_u(c), _u(p[O_TR] + r * N_CMD + C_ACT)]
    fw = _faw_wait(p, S, c, r, clk)
    return fw if fw > g else g


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _ready_queues(p: np.ndarray, S: np.ndarray, c: int, clk: np.int64, mask: np.int64) -> tuple:
    """(bit mask of the non-empty queues whose cached bound is <= clk, a lower bound of the others' bounds).

    The stale mask holds the queues whose bound was reset or found ready; F_QMIN is a lower bound of every
    other queue's bound, so until clk reaches it the ready set is the stale set and no bound is read.

    A per-bank queue found waiting for an ACT (its bank closed) keeps a bit in F_ACTWAIT until it changes: its
    bound is also its rank's ACT gate (tRRD_S, the activate windows), which each ACT moves for every such
    queue at once (an ACT resets F_QMIN so that the bounds are read again), so the queues behind an ACT are
    not scanned one by one again.
    """
    och = p[O_CH]
    qmin = S[_u(c), _u(och + F_QMIN)]
    if clk < qmin:
        return S[_u(c), _u(och + F_QSTALE)] & mask, qmin
    oqr = p[O_QRDY]
    ready = np.int64(0)
    lo = BIG
    aw = S[_u(c), _u(och + F_ACTWAIT)] & mask
    nb = p[I_BANKS]
    for r in range(p[I_RANKS]):
        # per-bank queues of rank r are r * nb ... (r + 1) * nb - 1; per-rank queues: r only (aw is 0)
        q0 = r * nb if p[I_PER_BANK] == 1 else r
        q1 = q0 + nb if p[I_PER_BANK] == 1 else r + 1
        gate = _act_gate(p, S, c, np.int64(r), clk) if (aw >> q0) != 0 else np.int64(0)
        for qi in range(q0, q1):
            # branch-free (the outcomes are unpredictable): a selected maximum, minimum and bit
            qr = S[_u(c), _u(oqr + qi)]  # unsigned: no negative-index wraparound (which makes a gather)
            g = gate if (aw >> qi) & 1 else np.int64(0)
            qr = g if g > qr else qr
            live = (mask >> qi) & 1
            ready |= (live & np.int64(qr <= clk)) << qi
            cand = qr if live == 1 and qr > clk else BIG
            lo = cand if cand < lo else lo
    # empty queues are reset when they receive an entry, so they need no bit
    S[_u(c), _u(och + F_QSTALE)] = ready
    S[_u(c), _u(och + F_QMIN)] = lo
    return ready, lo


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _get_command(p: np.ndarray, S: np.ndarray, c: int, clk: np.int64) -> tuple:
    """DRAMsim3's GetCommandToIssue: queues round robin from the one after the last; (cmd, queue, entry, min_t).

    Only non-empty queues are visited (a bit mask, in the same cyclic order). Each queue caches a cycle
    before which it cannot yield a command; the bound stays valid until a command is added to or issued from
    the queue, or a refresh changes its banks (each of which resets it).
    """
    nq = p[I_NQ]
    och = p[O_CH]
    oqr = p[O_QRDY]
    mask = S[_u(c), _u(och + F_CQMASK)]
    min_t = BIG
    if mask == 0:
        return np.int64(-1), np.int64(-1), -1, min_t
    ready, min_t = _ready_queues(p, S, c, clk, mask)
    if S[_u(c), _u(och + F_INREF)] != 0:
        # the queue (or the rank's queues) being refreshed may not issue
        rq = S[_u(c), _u(och + F_REFQ)]
        if rq >= 0:
            ready &= ~(np.int64(1) << rq)
        else:
            rr = S[_u(c), _u(och + F_REFRANK)]
            if p[I_PER_BANK] == 1:
                nb = p[I_BANKS]
                ready &= ~(((np.int64(1) << nb) - 1) << (rr * nb))
            else:
                ready &= ~(np.int64(1) << rr)
    if ready == 0:
        return np.int64(-1), np.int64(-1), -1, min_t
    start = S[_u(c), _u(och + F_QIDX)] + 1
    if start >= nq:
        start = 0
    # queues start..nq-1, then 0..start-1: the ready mask rotated so that bit 0 is queue ``start``
    full = (np.int64(1) << nq) - 1 if nq < 63 else np.int64(-1)
    rot = ((ready >> start) | (ready << (nq - start))) & full
    while rot != 0:
        k = _lowest_bit(rot)
        rot &= rot - 1
        qi = start + k
        if qi >= nq:
            qi -= nq
        if qi == S[_u(c), _u(och + F_FRCQ)] and S[_u(c), _u(och + F_FRCT)] == clk + 1:
            # _next_command_cycle found this queue's command for this cycle, and nothing has changed since
            cmd, e, mt = S[_u(c), _u(och + F_FRCCMD)], S[_u(c), _u(och + F_FRCE)], BIG
        else:
            cmd, e, mt = _first_ready(p, S, c, qi, clk)
        if cmd >= 0:
            S[_u(c), _u(och + F_QIDX)] = qi
            S[_u(c), _u(oqr + qi)] = clk  # still ready: its stale bit stays
            return cmd, qi, e, min_t
        _q_bound(p, S, c, qi, mt)
        if e == -2:
            S[_u(c), _u(och + F_ACTWAIT)] |= np.int64(1) << qi
        if mt < min_t:
            min_t = mt
    return np.int64(-1), np.int64(-1), -1, min_t


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _next_command_cycle(p: np.ndarray, S: np.ndarray, c: int, clk: np.int64) -> np.int64:
    """The first cycle >= clk at which some command queue may yield a command, or the next refresh is due
    (no refresh in progress). Refreshes every stale queue bound on the way; no other state changes."""
    nq = p[I_NQ]
    och = p[O_CH]
    oqr = p[O_QRDY]
    mask = S[_u(c), _u(och + F_CQMASK)]
    ready, nxt = _ready_queues(p, S, c, clk, mask)
    if S[_u(c), _u(och + F_REFNEXT)] < nxt:
        nxt = S[_u(c), _u(och + F_REFNEXT)]
    while ready != 0:
        qi = _lowest_bit(ready)  # ascending queue order
        ready &= ready - 1
        if True:
            cmd, e, mt = _first_ready(p, S, c, qi, clk)
            if cmd >= 0:
                S[_u(c), _u(oqr + qi)] = clk
                # remembered for _get_command at clk (until a command issues or a queue changes)
                S[_u(c), _u(och + F_FRCT)] = clk + 1
                S[_u(c), _u(och + F_FRCQ)] = qi
                S[_u(c), _u(och + F_FRCCMD)] = cmd
                S[_u(c), _u(och + F_FRCE)] = e
                return clk
            _q_bound(p, S, c, qi, mt)
            if e == -2:
                S[_u(c), _u(och + F_ACTWAIT)] |= np.int64(1) << qi
            if mt < nxt:
                nxt = mt
    return nxt


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _close_bank(p: np.ndarray, S: np.ndarray, c: int, r: np.int64, bidx: np.int64) -> None:
    o = p[O_BANK] + (r * p[I_BANKS] + bidx) * 3
    if S[_u(c), _u(o)] == 1:
        S[_u(c), _u(p[O_OPN] + r)] -= 1
    S[_u(c), _u(o)] = 0
    S[_u(c), _u(o + 1)] = -1
    S[_u(c), _u(o + 2)] = 0


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _reset_rank_queues(p: np.ndarray, S: np.ndarray, c: int, r: np.int64) -> None:
    if p[I_PER_BANK] == 1:
        for q in range(r * p[I_BANKS], (r + 1) * p[I_BANKS]):
            _q_reset(p, S, c, q)
    else:
        _q_reset(p, S, c, r)


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _issue(p: np.ndarray, T: np.ndarray, S: np.ndarray, c: int, cmd: np.int64, q: np.int64, e: int, r: np.int64,
           g: np.int64, ba: np.int64, row: np.int64, clk: np.int64, tag: np.int64, td: np.ndarray) -> None:
    """Issue one command: completions, statistics (before the state changes, as DRAMsim3), state, timing."""
    och, ost = p[O_CH], p[O_ST]
    S[_u(c), _u(och + F_FRCT)] = 0  # _next_command_cycle's remembered command no longer holds
    bidx = g * p[I_BPG] + ba
    bo = p[O_BANK] + (r * p[I_BANKS] + bidx) * 3
    if q >= 0:
        _q_reset(p, S, c, q)
    if cmd <= C_WRP:
        eo = _cq_off(p, S, c, q, e)
        addr = S[_u(c), _u(eo + Q_ADDR)]
        if cmd == C_RD or cmd == C_RDP:
            done = clk + p[I_READ_DELAY]
            i = _ht_find(p, S, c, p[O_PR], addr)
            so = p[O_PRV] + i * N_PV
            k = S[_u(c), _u(so + V_CNT)]
            S[_u(c), _u(ost + T_RDONE)] += k
            S[_u(c), _u(ost + T_LAT)] += k * done - S[_u(c), _u(so + V_ADDED)]
            if done > S[_u(c), _u(och + F_LAST)]:
                S[_u(c), _u(och + F_LAST)] = done
            for tf in (V_TAG1, V_TAG2):
                tg = S[_u(c), _u(so + tf)]
                if tg >= 0 and S[_u(c), _u(so + tf + 1)] > 0:
                    td[_u(tg), TG_OUT_R] -= S[_u(c), _u(so + tf + 1)]
                    if td[_u(tg), TG_OUT_R] == 0:
                        td[0, 0] = 1
                    if done > td[_u(tg), TG_DONE]:
                        td[_u(tg), TG_DONE] = done
            S[_u(c), _u(och + F_PRN)] -= k
            _ht_delete(p, S, c, p[O_PR], p[O_PRV], N_PV, i)
            S[_u(c), _u(ost + T_RDC)] += 1
            if S[_u(c), _u(bo + 2)] != 0:
                S[_u(c), _u(ost + T_RDH)] += 1
        else:
            i = _ht_find(p, S, c, p[O_PW], addr)
            if i >= 0:
                _ht_delete(p, S, c, p[O_PW], p[O_PW], 0, i)
                S[_u(c), _u(och + F_PWN)] -= 1
            S[_u(c), _u(ost + T_WRC)] += 1
            if S[_u(c), _u(bo + 2)] != 0:
                S[_u(c), _u(ost + T_WRH)] += 1
            wt = S[_u(c), _u(eo + Q_ADDED)]
            if wt >= 0:
                wd = clk + p[I_WRITE_DELAY]
                if wd > td[_u(wt), TG_DONE]:
                    td[_u(wt), TG_DONE] = wd
                td[_u(wt), TG_OUT_W] -= 1
                if td[_u(wt), TG_OUT_W] == 0:
                    td[0, 0] = 1
        if cmd == C_RD or cmd == C_WR:
            S[_u(c), _u(bo + 2)] += 1
        else:
            _close_bank(p, S, c, r, bidx)
        # remove entry e from the ring: move the shorter side over it (the oldest: advance the head)
        n = S[_u(c), _u(p[O_CQN] + q)]
        if e < n - 1 - e:
            for k in range(e, 0, -1):
                dst = _cq_off(p, S, c, q, k)
                src = _cq_off(p, S, c, q, k - 1)
                for f in range(N_Q):
                    S[_u(c), _u(dst + f)] = S[_u(c), _u(src + f)]
            h = S[_u(c), _u(p[O_CQH] + q)] + 1
            S[_u(c), _u(p[O_CQH] + q)] = h if h < p[I_CQ] else 0
        else:
            for k in range(e, n - 1):
                dst = _cq_off(p, S, c, q, k)
                src = _cq_off(p, S, c, q, k + 1)
                for f in range(N_Q):
                    S[_u(c), _u(dst + f)] = S[_u(c), _u(src + f)]
        S[_u(c), _u(p[O_CQN] + q)] = n - 1
        S[_u(c), _u(och + F_CQFULL)] &= ~(np.int64(1) << q)
        if n == 1:
            S[_u(c), _u(och + F_CQMASK)] &= ~(np.int64(1) << q)
        S[_u(c), _u(och + F_CQT)] -= 1
        S[_u(c), _u(och + F_SBLK)] = 0  # the transaction scheduler may find room again
    elif cmd == C_ACT:
        S[_u(c), _u(ost + T_ACT)] += 1
        S[_u(c), _u(och + F_QMIN)] = 0  # the ACT gate moved: read the bounds again (_ready_queues)
        S[_u(c), _u(bo)] = 1
        S[_u(c), _u(bo + 1)] = row
        S[_u(c), _u(bo + 2)] = 0
        S[_u(c), _u(p[O_OPN] + r)] += 1
        _record_act(p, S, c, r, clk)
    elif cmd == C_PRE:
        S[_u(c), _u(ost + T_PRE)] += 1
        _close_bank(p, S, c, r, bidx)
        if q < 0:
            _reset_rank_queues(p, S, c, r)
    elif cmd == C_PREA:
        S[_u(c), _u(ost + T_PREA)] += 1
        for b in range(p[I_BANKS]):
            if S[_u(c), _u(p[O_BANK] + (r * p[I_BANKS] + b) * 3)] == 1:
                _close_bank(p, S, c, r, b)
                _update_timing(p, T, S, c, C_PRE, r, b // p[I_BPG], b, clk)
        _reset_rank_queues(p, S, c, r)
        return
    elif cmd == C_REF or cmd == C_REFB:
        S[_u(c), _u(ost + (T_REF if cmd == C_REF else T_REFB))] += 1
        n = S[_u(c), _u(och + F_REFN)]
        ro = p[O_REFQ]
        for k in range(n):
            if S[_u(c), _u(ro + k * 4 + 1)] == r and (cmd == C_REF or (S[_u(c), _u(ro + k * 4 + 2)] == g and S[_u(c), _u(ro + k * 4 + 3)] == ba)):
                for j in range(k * 4, (n - 1) * 4):
                    S[_u(c), _u(ro + j)] = S[_u(c), _u(ro + j + 4)]
                S[_u(c), _u(och + F_REFN)] = n - 1
                break
        _reset_rank_queues(p, S, c, r)
    _update_timing(p, T, S, c, cmd, r, g, bidx, clk)


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _finish_refresh(p: np.ndarray, S: np.ndarray, c: int, clk: np.int64) -> tuple:
    """DRAMsim3's FinishRefresh: close the rank's (or bank's) rows, then refresh; (cmd, r, g, ba, min_t)."""
    och, ro = p[O_CH], p[O_REFQ]
    kind, r = S[_u(c), _u(ro)], S[_u(c), _u(ro + 1)]
    if S[_u(c), _u(och + F_INREF)] == 0:
        S[_u(c), _u(och + F_INREF)] = 1
        if kind == C_REF:
            S[_u(c), _u(och + F_REFRANK)] = r
            S[_u(c), _u(och + F_REFQ)] = -1
        else:
            S[_u(c), _u(och + F_REFRANK)] = -1
            S[_u(c), _u(och + F_REFQ)] = _queue_index(p, r, S[_u(c), _u(ro + 2)], S[_u(c), _u(ro + 3)])
    min_t = BIG
    if kind == C_REFB:
        g, ba = S[_u(c), _u(ro + 2)], S[_u(c), _u(ro + 3)]
        bidx = g * p[I_BPG] + ba
        req = C_PRE if S[_u(c), _u(p[O_BANK] + (r * p[I_BANKS] + bidx) * 3)] == 1 else C_REFB
        et = _earliest(p, S, c, r, g, bidx, req)
        if clk >= et:
            if req == C_REFB:
                S[_u(c), _u(och + F_INREF)] = 0
                S[_u(c), _u(och + F_REFRANK)] = -1
                S[_u(c), _u(och + F_REFQ)] = -1
            return np.int64(req), r, g, ba, min_t
        return np.int64(-1), r, g, ba, et
    if p[I_PREA] == 1 and S[_u(c), _u(p[O_OPN] + r)] > 0:
        et = np.int64(0)
        for b in range(p[I_BANKS]):
            if S[_u(c), _u(p[O_BANK] + (r * p[I_BANKS] + b) * 3)] == 1:
                t = _earliest(p, S, c, r, b // p[I_BPG], b, C_PRE)
                if t > et:
                    et = t
        if clk >= et:
            return np.int64(C_PREA), r, np.int64(0), np.int64(0), min_t
        return np.int64(-1), r, np.int64(0), np.int64(0), et
    num_ready = 0
    for g in range(p[I_BGS]):
        for ba in range(p[I_BPG]):
            bidx = g * p[I_BPG] + ba
            req = C_PRE if S[_u(c), _u(p[O_BANK] + (r * p[I_BANKS] + bidx) * 3)] == 1 else C_REF
            et = _earliest(p, S, c, r, g, bidx, req)
            if clk < et:
                if et < min_t:
                    min_t = et
                continue
            if req == C_PRE:
                return np.int64(C_PRE), r, np.int64(g), np.int64(ba), min_t
            num_ready += 1
    if num_ready == p[I_BANKS]:
        S[_u(c), _u(och + F_INREF)] = 0
        S[_u(c), _u(och + F_REFRANK)] = -1
        S[_u(c), _u(och + F_REFQ)] = -1
        return np.int64(C_REF), r, np.int64(0), np.int64(0), min_t
    return np.int64(-1), r, np.int64(0), np.int64(0), min_t


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _insert_refresh(p: np.ndarray, S: np.ndarray, c: int) -> None:
    och, ro = p[O_CH], p[O_REFQ]
    n = S[_u(c), _u(och + F_REFN)]
    if n >= p[I_RQ_CAP]:
        return  # refreshes complete long before the next one is due with any sane timing
    o = ro + n * 4
    pol = p[I_REF_POLICY]
    if pol == 0:  # "simultaneous": DRAMsim3 queues the first rank that is not self-refreshing, i.e. rank 0
        S[_u(c), _u(o)], S[_u(c), _u(o + 1)], S[_u(c), _u(o + 2)], S[_u(c), _u(o + 3)] = C_REF, 0, -1, -1
    elif pol == 1:
        S[_u(c), _u(o)], S[_u(c), _u(o + 1)], S[_u(c), _u(o + 2)], S[_u(c), _u(o + 3)] = C_REF, S[_u(c), _u(och + F_NRANK)], -1, -1
        S[_u(c), _u(och + F_NRANK)] = (S[_u(c), _u(och + F_NRANK)] + 1) % p[I_RANKS]
    else:
        S[_u(c), _u(o)], S[_u(c), _u(o + 1)] = C_REFB, S[_u(c), _u(och + F_NRANK)]
        S[_u(c), _u(o + 2)], S[_u(c), _u(o + 3)] = S[_u(c), _u(och + F_NBG)], S[_u(c), _u(och + F_NBANK)]
        S[_u(c), _u(och + F_NBG)] = (S[_u(c), _u(och + F_NBG)] + 1) % p[I_BGS]
        if S[_u(c), _u(och + F_NBG)] == 0:
            S[_u(c), _u(och + F_NBANK)] = (S[_u(c), _u(och + F_NBANK)] + 1) % p[I_BPG]
            if S[_u(c), _u(och + F_NBANK)] == 0:
                S[_u(c), _u(och + F_NRANK)] = (S[_u(c), _u(och + F_NRANK)] + 1) % p[I_RANKS]
    S[_u(c), _u(och + F_REFN)] = n + 1


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _tq_push(p: np.ndarray, S: np.ndarray, c: int, w: int, addr: np.int64, added: np.int64, fields: tuple,
             kind: int) -> None:
    """Append a transaction to queue w (0: read queue, or every transaction when unified; 1: write buffer).

    A queue's entries stay in fixed slots (global slot w * tq + slot; freed slots on a stack) and are threaded,
    per command queue, into FIFO lists in arrival order; each entry carries an arrival number."""
    och = p[O_CH]
    tq = p[I_TQ]
    n = S[_u(c), _u(och + F_RQN + w)]
    alloc = S[_u(c), _u(och + F_RQA + w)]  # slots ever used: those not in use are on the free stack
    if alloc > n:
        slot = S[_u(c), _u(p[O_TQF] + w * tq + alloc - n - 1)]
    else:
        slot = alloc
        S[_u(c), _u(och + F_RQA + w)] = alloc + 1
    gs = w * tq + slot
    o = p[O_TQ] + gs * N_Q
    S[_u(c), _u(o + Q_ADDR)] = addr
    S[_u(c), _u(o + Q_ADDED)] = added
    S[_u(c), _u(o + Q_RANK)] = fields[1]
    S[_u(c), _u(o + Q_BG)] = fields[2]
    S[_u(c), _u(o + Q_BA)] = fields[3]
    S[_u(c), _u(o + Q_ROW)] = fields[4]
    S[_u(c), _u(o + Q_COL)] = fields[5]
    S[_u(c), _u(o + Q_KIND)] = kind
    q = _queue_index(p, fields[1], fields[2], fields[3])
    S[_u(c), _u(p[O_TQQ] + gs)] = q
    lo = p[O_TQL] + gs * 2
    S[_u(c), _u(lo)] = S[_u(c), _u(och + F_TQSEQ)]
    S[_u(c), _u(lo + 1)] = -1
    S[_u(c), _u(och + F_TQSEQ)] += 1
    ht = p[O_TQHT] + (w * p[I_NQ] + q) * 2
    bit = np.int64(1) << q
    if S[_u(c), _u(och + F_RQWAIT + w)] & bit:
        S[_u(c), _u(p[O_TQL] + S[_u(c), _u(ht + 1)] * 2 + 1)] = gs
    else:
        S[_u(c), _u(ht)] = gs
        S[_u(c), _u(och + F_RQWAIT + w)] |= bit
    S[_u(c), _u(ht + 1)] = gs
    S[_u(c), _u(och + F_RQN + w)] = n + 1


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _tq_oldest(p: np.ndarray, S: np.ndarray, c: int, w: int) -> np.int64:
    """Global slot of the oldest transaction of queue w whose command queue has room, or -1: the oldest of the
    list heads of the command queues with room (DRAMsim3 takes the first such entry in queue order)."""
    och = p[O_CH]
    cand = S[_u(c), _u(och + F_RQWAIT + w)] & ~S[_u(c), _u(och + F_CQFULL)]
    best = np.int64(-1)
    best_seq = BIG
    while cand != 0:
        q = _lowest_bit(cand)
        cand &= cand - 1
        h = S[_u(c), _u(p[O_TQHT] + (w * p[I_NQ] + q) * 2)]
        sq = S[_u(c), _u(p[O_TQL] + h * 2)]
        if sq < best_seq:
            best_seq = sq
            best = h
    return best


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _tq_pop(p: np.ndarray, S: np.ndarray, c: int, w: int, gs: np.int64) -> None:
    """Remove entry gs, the head of its command queue's list, from queue w."""
    och = p[O_CH]
    tq = p[I_TQ]
    q = S[_u(c), _u(p[O_TQQ] + gs)]
    nx = S[_u(c), _u(p[O_TQL] + gs * 2 + 1)]
    if nx < 0:
        S[_u(c), _u(och + F_RQWAIT + w)] &= ~(np.int64(1) << q)
    else:
        S[_u(c), _u(p[O_TQHT] + (w * p[I_NQ] + q) * 2)] = nx
    n = S[_u(c), _u(och + F_RQN + w)]
    S[_u(c), _u(p[O_TQF] + w * tq + S[_u(c), _u(och + F_RQA + w)] - n)] = gs - w * tq
    S[_u(c), _u(och + F_RQN + w)] = n - 1


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _drain_trigger(p: np.ndarray, S: np.ndarray, c: int) -> bool:
    """Whether the write buffer starts draining: full, or above the threshold while no command is queued;
    fenced writes (engine stores, which must complete; not in DRAMsim3) drain once no read waits."""
    och = p[O_CH]
    wn = S[_u(c), _u(och + F_WQN)]
    return (wn >= p[I_TQ] or (wn > p[I_DRAIN_THR] and S[_u(c), _u(och + F_CQT)] == 0)
            or (S[_u(c), _u(och + F_FENCE)] > 0 and wn > 0 and S[_u(c), _u(och + F_RQN)] == 0))


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _write_hazard_head(p: np.ndarray, S: np.ndarray, c: int) -> bool:
    """Whether the first write the drain would move waits for a pending read of its address."""
    gs = _tq_oldest(p, S, c, 1)
    if gs < 0:
        return False
    if S[_u(c), _u(p[O_CH] + F_PRN)] == 0:
        return False
    return _ht_find(p, S, c, p[O_PR], S[_u(c), _u(p[O_TQ] + gs * N_Q + Q_ADDR)]) >= 0


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _schedule_transaction(p: np.ndarray, S: np.ndarray, c: int) -> bool:
    """DRAMsim3's ScheduleTransaction: move the first transaction whose command queue has room."""
    och = p[O_CH]
    unified = p[I_UNIFIED] == 1
    if S[_u(c), _u(och + F_DRAIN)] == 0 and not unified and _drain_trigger(p, S, c):
        S[_u(c), _u(och + F_DRAIN)] = S[_u(c), _u(och + F_WQN)]
    use_w = (not unified) and S[_u(c), _u(och + F_DRAIN)] > 0
    if use_w and _write_hazard_head(p, S, c):
        # DRAMsim3 stops draining here and schedules nothing this cycle; when the buffer is still over its
        # drain trigger, draining restarts next cycle and meets the same write again, so the read it waits
        # for never moves (a livelock DRAMsim3 shares). accelsim lets the read queue go instead.
        S[_u(c), _u(och + F_DRAIN)] = 0
        wn = S[_u(c), _u(och + F_WQN)]
        if not (wn >= p[I_TQ] or (wn > p[I_DRAIN_THR] and S[_u(c), _u(och + F_CQT)] == 0)
                or (S[_u(c), _u(och + F_FENCE)] > 0 and S[_u(c), _u(och + F_RQN)] == 0)):
            return True
        use_w = False
    w = 1 if use_w else 0
    gs = _tq_oldest(p, S, c, w)
    if gs < 0:
        return False
    # (when draining, gs is the write _write_hazard_head found free of a pending read)
    io = p[O_TQ] + gs * N_Q
    q = S[_u(c), _u(p[O_TQQ] + gs)]
    k = S[_u(c), _u(p[O_CQN] + q)]
    is_write = use_w or (unified and S[_u(c), _u(io + Q_KIND)] == 1)
    if use_w:
        S[_u(c), _u(och + F_DRAIN)] -= 1
        if S[_u(c), _u(io + Q_ADDED)] >= 0 and S[_u(c), _u(och + F_FENCE)] > 0:
            S[_u(c), _u(och + F_FENCE)] -= 1  # a fenced write left the buffer
    ko = _cq_off(p, S, c, q, k)
    for f in range(N_Q):
        S[_u(c), _u(ko + f)] = S[_u(c), _u(io + f)]
    if is_write:
        S[_u(c), _u(ko + Q_KIND)] = C_WR if p[I_OPEN_PAGE] == 1 else C_WRP
    else:
        S[_u(c), _u(ko + Q_KIND)] = C_RD if p[I_OPEN_PAGE] == 1 else C_RDP
    S[_u(c), _u(p[O_CQN] + q)] = k + 1
    if k + 1 >= p[I_CQ]:
        S[_u(c), _u(och + F_CQFULL)] |= np.int64(1) << q
    S[_u(c), _u(och + F_CQMASK)] |= np.int64(1) << q
    S[_u(c), _u(och + F_CQT)] += 1
    _q_appended(p, S, c, q, k)
    _tq_pop(p, S, c, w, gs)
    return True


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _schedule_idle(p: np.ndarray, S: np.ndarray, c: int) -> bool:
    """Whether _schedule_transaction would move nothing and change nothing (until a transaction arrives or a
    column command frees a command queue slot, which both clear F_SBLK)."""
    och = p[O_CH]
    unified = p[I_UNIFIED] == 1
    if S[_u(c), _u(och + F_DRAIN)] == 0 and not unified and _drain_trigger(p, S, c):
        return False
    w = 1 if (not unified and S[_u(c), _u(och + F_DRAIN)] > 0) else 0
    return (S[_u(c), _u(och + F_RQWAIT + w)] & ~S[_u(c), _u(och + F_CQFULL)]) == 0


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _tick(p: np.ndarray, T: np.ndarray, S: np.ndarray, c: int, clk: np.int64, tag: np.int64,
          td: np.ndarray) -> np.int64:
    """One controller clock tick of channel c at cycle clk; returns the next cycle anything can happen."""
    och = p[O_CH]
    if clk == S[_u(c), _u(och + F_REFNEXT)]:
        _insert_refresh(p, S, c)
        S[_u(c), _u(och + F_REFNEXT)] += p[I_REF_INTERVAL]
    nxt = BIG
    cmd = np.int64(-1)
    q = np.int64(-1)
    e = -1
    r = g = ba = row = np.int64(-1)
    issued = False
    if S[_u(c), _u(och + F_REFN)] > 0:
        cmd, r, g, ba, mt = _finish_refresh(p, S, c, clk)
        if mt < nxt:
            nxt = mt
    # one site each for _get_command and _issue (they are inlined: fewer copies, smaller code): phase 0 issues
    # the refresh command or the first ready command, phase 1 (dual issue) a second one of the other kind
    phase = 0
    first_rw = False
    while True:
        if cmd < 0:
            cmd, q, e, mt = _get_command(p, S, c, clk)
            if phase == 0 and mt < nxt:
                nxt = mt
            if cmd >= 0:
                if phase == 1 and (cmd <= C_WRP) == first_rw:
                    break
                eo = _cq_off(p, S, c, q, e)
                r, g, ba, row = S[_u(c), _u(eo + Q_RANK)], S[_u(c), _u(eo + Q_BG)], S[_u(c), _u(eo + Q_BA)], S[_u(c), _u(eo + Q_ROW)]
            else:
                break
        _issue(p, T, S, c, cmd, q, e, r, g, ba, row, clk, tag, td)
        if phase == 1:
            S[_u(c), _u(p[O_ST] + T_DUAL)] += 1
            break
        issued = True
        if p[I_DUAL] != 1:
            break
        first_rw = cmd <= C_WRP
        phase = 1
        cmd = np.int64(-1)
    # background power: a rank with any open bank is active this cycle
    for r in range(p[I_RANKS]):
        if S[_u(c), _u(p[O_OPN] + r)] == 0:
            S[_u(c), _u(p[O_RK] + r * 2 + 1)] += 1
        else:
            S[_u(c), _u(p[O_RK] + r * 2)] += 1
    S[_u(c), _u(p[O_ST] + T_TICKS)] += 1
    if S[_u(c), _u(och + F_SBLK)] == 0:
        if _schedule_transaction(p, S, c):
            if not _schedule_idle(p, S, c):
                return clk + 1  # another transaction may move next cycle
            issued = True  # its command queue changed: find the next command cycle below
        S[_u(c), _u(och + F_SBLK)] = 1
    if issued:
        if S[_u(c), _u(och + F_REFN)] > 0 or S[_u(c), _u(och + F_INREF)] != 0:
            return clk + 1
        # only commands were issued: the next event is the first cycle a queue can yield one (the bounds
        # are cached per queue, as _get_command would find them next cycle) or the next refresh
        return _next_command_cycle(p, S, c, clk + 1)
    if S[_u(c), _u(och + F_REFNEXT)] < nxt:
        nxt = S[_u(c), _u(och + F_REFNEXT)]
    return nxt


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _advance(p: np.ndarray, T: np.ndarray, S: np.ndarray, c: int, until: np.int64, tag: np.int64,
             td: np.ndarray) -> None:
    """Bring channel c from its clock up to (not including) cycle ``until``.

    With skipping on, cycles before the channel's next event are idle by construction (no command can
    issue, no transaction can move, no refresh is due): only the background counters and the clock advance.
    """
    och = p[O_CH]
    clk = S[_u(c), _u(och + F_CLK)]
    skip = p[I_SKIP] == 1
    while clk < until:
        nx = S[_u(c), _u(och + F_NEXT)]
        if skip and nx > clk:
            stop = nx if nx < until else until
            gap = stop - clk
            for r in range(p[I_RANKS]):
                if S[_u(c), _u(p[O_OPN] + r)] == 0:
                    S[_u(c), _u(p[O_RK] + r * 2 + 1)] += gap
                else:
                    S[_u(c), _u(p[O_RK] + r * 2)] += gap
            S[_u(c), _u(p[O_ST] + T_TICKS)] += gap
            clk = stop
            continue
        S[_u(c), _u(och + F_NEXT)] = _tick(p, T, S, c, clk, tag, td)
        clk += 1
    S[_u(c), _u(och + F_CLK)] = clk


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _will_accept(p: np.ndarray, S: np.ndarray, c: int, is_write: bool) -> bool:
    if p[I_UNIFIED] == 1 or not is_write:
        return S[_u(c), _u(p[O_CH] + F_RQN)] < p[I_TQ]
    return S[_u(c), _u(p[O_CH] + F_WQN)] < p[I_TQ]


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _decode(p: np.ndarray, addr: np.int64) -> tuple:
    a = addr >> p[I_SHIFT]
    return ((a >> p[I_POS_CH]) & p[I_MASK_CH], (a >> p[I_POS_RA]) & p[I_MASK_RA], (a >> p[I_POS_BG]) & p[I_MASK_BG],
            (a >> p[I_POS_BA]) & p[I_MASK_BA], (a >> p[I_POS_RO]) & p[I_MASK_RO], (a >> p[I_POS_CO]) & p[I_MASK_CO])


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _add(p: np.ndarray, S: np.ndarray, c: int, addr: np.int64, is_write: bool, clk: np.int64, tag: np.int64,
         td: np.ndarray) -> None:
    """DRAMsim3's AddTransaction at controller cycle clk (writes are posted; reads may hit the write buffer)."""
    _add_transaction(p, S, c, addr, is_write, clk, tag, td)
    och = p[O_CH]
    # the channel has a new event unless the transaction scheduler still can move nothing (e.g. the new entry's
    # command queue is full): adding changes nothing else a tick looks at
    if S[_u(c), _u(och + F_SBLK)] == 0 or not _schedule_idle(p, S, c):
        S[_u(c), _u(och + F_SBLK)] = 0
        if S[_u(c), _u(och + F_NEXT)] > clk:
            S[_u(c), _u(och + F_NEXT)] = clk


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _add_transaction(p: np.ndarray, S: np.ndarray, c: int, addr: np.int64, is_write: bool, clk: np.int64,
                     tag: np.int64, td: np.ndarray) -> None:
    och, ost = p[O_CH], p[O_ST]
    fields = _decode(p, addr)
    unified = p[I_UNIFIED] == 1
    if is_write:
        if _ht_insert(p, S, c, p[O_PW], addr)[1]:
            S[_u(c), _u(och + F_PWN)] += 1
            if unified:
                _tq_push(p, S, c, 0, addr, tag, fields, 1)
            else:
                _tq_push(p, S, c, 1, addr, tag, fields, 1)
            if tag >= 0:
                td[_u(tag), TG_OUT_W] += 1
                if not unified:
                    S[_u(c), _u(och + F_FENCE)] += 1  # fenced: drained even below the drain threshold
        S[_u(c), _u(ost + T_WDONE)] += 1
        if clk + 1 > S[_u(c), _u(och + F_LAST)]:
            S[_u(c), _u(och + F_LAST)] = clk + 1
        return
    if S[_u(c), _u(och + F_PWN)] > 0 and _ht_find(p, S, c, p[O_PW], addr) >= 0:  # served from the write buffer
        S[_u(c), _u(ost + T_RDONE)] += 1
        S[_u(c), _u(ost + T_LAT)] += 1
        if clk + 1 > S[_u(c), _u(och + F_LAST)]:
            S[_u(c), _u(och + F_LAST)] = clk + 1
        if tag >= 0 and clk + 1 > td[_u(tag), TG_DONE]:
            td[_u(tag), TG_DONE] = clk + 1
        return
    i, first = _ht_insert(p, S, c, p[O_PR], addr)
    so = p[O_PRV] + i * N_PV
    if first:
        S[_u(c), _u(so + V_CNT)] = 0
        S[_u(c), _u(so + V_ADDED)] = 0
        S[_u(c), _u(so + V_TAG1)] = -1
        S[_u(c), _u(so + V_N1)] = 0
        S[_u(c), _u(so + V_TAG2)] = -1
        S[_u(c), _u(so + V_N2)] = 0
    S[_u(c), _u(so + V_CNT)] += 1
    S[_u(c), _u(so + V_ADDED)] += clk
    if tag >= 0:
        # up to two streams may wait on one merged read (a third is not tracked: it completes with its stream)
        if S[_u(c), _u(so + V_TAG1)] == tag or S[_u(c), _u(so + V_TAG1)] < 0:
            S[_u(c), _u(so + V_TAG1)] = tag
            S[_u(c), _u(so + V_N1)] += 1
            td[_u(tag), TG_OUT_R] += 1
        elif S[_u(c), _u(so + V_TAG2)] == tag or S[_u(c), _u(so + V_TAG2)] < 0:
            S[_u(c), _u(so + V_TAG2)] = tag
            S[_u(c), _u(so + V_N2)] += 1
            td[_u(tag), TG_OUT_R] += 1
    S[_u(c), _u(och + F_PRN)] += 1
    if first:
        _tq_push(p, S, c, 0, addr, clk, fields, 0)


# ---------------------------------------------------------------------------------------------- drivers
@njit(cache=True, error_model="numpy")
def run_trace(p: np.ndarray, T: np.ndarray, S: np.ndarray, addrs: np.ndarray, writes: np.ndarray,
              cycles: np.ndarray, unlimited: np.int64, max_cycles: np.int64) -> np.int64:
    """Replay a trace over all channels as DRAMsim3's trace CPU does; return the memory cycles simulated.

    Every memory cycle: tick each controller, then offer the next request(s) in trace order whose cycle has
    come (one per cycle, or as many as the controllers accept with ``unlimited``), stopping at the first
    refusal; requests are stamped with the controllers' new clock. The run ends when every read has
    returned: the result is the last completion cycle + 1, or -1 if ``max_cycles`` passed first.
    """
    n = addrs.shape[0]
    C = p[I_CHANNELS]
    och = p[O_CH]
    td = np.zeros((1, N_TG), np.int64)
    i = 0
    clk = np.int64(0)
    skip = p[I_SKIP] == 1
    # each channel's next event (S[_u(c), _u(F_NEXT)]), kept together: the per-cycle scan reads one cache line
    nexts = np.empty(C, np.int64)
    for c in range(C):
        nexts[_u(c)] = S[_u(c), _u(och + F_NEXT)]
    fin = np.int64(-1)  # >= 0: the run is over, every channel is brought to this cycle (one _advance site)
    while True:
        if fin < 0 and clk >= max_cycles:
            break
        until = fin if fin >= 0 else clk + 1
        # the channels due this cycle as a bit mask (62 channels per word), then those channels in ascending
        # order: a loop over c that also ticks would carry every S[c, ...] address as an induction variable
        for base in range(0, C, 62):
            top = C - base if C - base < 62 else 62
            due = np.int64(0)
            for k in range(top):
                due |= np.int64(fin >= 0 or not skip or nexts[_u(base + k)] <= clk) << k
            while due != 0:
                c = base + _lowest_bit(due)
                due &= due - 1
                _advance(p, T, S, c, until, np.int64(-1), td)
                nexts[_u(c)] = S[_u(c), _u(och + F_NEXT)]
        if fin >= 0:
            return fin
        clk += 1
        offered = False
        while i < n and cycles[_u(i)] <= clk - 1:
            a = addrs[_u(i)]
            c = ((a >> p[I_SHIFT]) >> p[I_POS_CH]) & p[I_MASK_CH]
            w = writes[_u(i)] == 1
            if not _will_accept(p, S, c, w):
                break
            _add(p, S, c, a, w, clk, np.int64(-1), td)
            nexts[_u(c)] = S[_u(c), _u(och + F_NEXT)]
            i += 1
            offered = True
            if unlimited == 0:
                break
        if i == n:
            busy = False
            last = np.int64(0)
            for c in range(C):
                if S[_u(c), _u(och + F_PRN)] > 0:
                    busy = True
                if S[_u(c), _u(och + F_LAST)] > last:
                    last = S[_u(c), _u(och + F_LAST)]
            if not busy and clk > last:
                fin = last + 1
                continue
        if skip and not offered:
            nxt = BIG
            for c in range(C):
                if nexts[_u(c)] < nxt:
                    nxt = nexts[_u(c)]
            if i < n and cycles[_u(i)] >= clk and cycles[_u(i)] < nxt:
                nxt = cycles[_u(i)]
            if i == n:
                last = np.int64(0)
                for c in range(C):
                    if S[_u(c), _u(och + F_LAST)] > last:
                        last = S[_u(c), _u(och + F_LAST)]
                # the last tick is cycle ``last`` (ticking it ends the run with the clock at last + 1)
                if last < nxt:
                    nxt = last
            if nxt > clk and nxt < BIG:
                clk = nxt
    return np.int64(-1)


@njit(cache=True, error_model="numpy")
def advance_to(p: np.ndarray, T: np.ndarray, S: np.ndarray, c: np.int64, until: np.int64) -> None:
    """Bring channel c's clock to ``until`` (finishing what its queues hold up to then)."""
    td = np.zeros((1, N_TG), np.int64)
    _advance(p, T, S, c, until, np.int64(-1), td)


@njit(cache=True, error_model="numpy")
def settle(p: np.ndarray, T: np.ndarray, S: np.ndarray, until: np.int64) -> None:
    """Bring every channel to cycle ``until``."""
    td = np.zeros((1, N_TG), np.int64)
    for c in range(p[I_CHANNELS]):
        if S[_u(c), _u(p[O_CH] + F_CLK)] < until:
            _advance(p, T, S, c, until, np.int64(-1), td)


@njit(cache=True, error_model="numpy")
def settle_channels(p: np.ndarray, T: np.ndarray, S: np.ndarray, chans: np.ndarray, until: np.int64) -> None:
    """Bring the listed channels to cycle ``until``."""
    td = np.zeros((1, N_TG), np.int64)
    for i in range(chans.shape[0]):
        c = chans[i]
        if S[_u(c), _u(p[O_CH] + F_CLK)] < until:
            _advance(p, T, S, c, until, np.int64(-1), td)


@njit(cache=True, error_model="numpy")
def split_channel(p: np.ndarray, S: np.ndarray, strm: np.ndarray, chs: np.ndarray, tags: np.ndarray, src: np.int64,
                  dst: np.int64) -> np.int64:
    """Make channel dst an exact copy of channel src, in-flight work included: its state row, its streams (new
    stream rows under the same tags) and its outstanding requests (added to their tags' counts).

    The engine simulates one channel per class of channels that have received identical requests at identical
    cycles (their states are then identical); when an access touches only part of a class, the part that
    leaves gets its own copy this way. Returns 0, or -1 if the stream table is full.
    """
    for k in range(S.shape[1]):
        S[_u(dst), _u(k)] = S[_u(src), _u(k)]
    # streams still offering
    ns = strm.shape[0]
    s2 = 0
    chs[_u(dst), 0] = 0
    for k in range(1, chs[_u(src), 0] + 1):
        s = chs[_u(src), _u(k)]
        while s2 < ns and strm[_u(s2), SM_ACTIVE] == 1:
            s2 += 1
        if s2 == ns:
            return np.int64(-1)
        for f in range(N_SM):
            strm[_u(s2), _u(f)] = strm[_u(s), _u(f)]
        strm[_u(s2), SM_CHAN] = dst
        chs[_u(dst), 0] += 1
        chs[_u(dst), _u(chs[_u(dst), 0])] = s2
        tags[_u(strm[_u(s), SM_TAG]), TG_UNOFF] += 1
    # outstanding reads (pending-read set: up to two tags per merged read)
    h = np.int64(1) << p[I_HBITS]
    for i in range(h):
        if S[_u(src), _u(p[O_PR] + i)] == 0:
            continue
        so = p[O_PRV] + i * N_PV
        for tf in (V_TAG1, V_TAG2):
            tg = S[_u(src), _u(so + tf)]
            if tg >= 0 and S[_u(src), _u(so + tf + 1)] > 0:
                tags[_u(tg), TG_OUT_R] += S[_u(src), _u(so + tf + 1)]
    # outstanding writes: write buffer (or unified queue) entries and write commands carry their tag
    och = p[O_CH]
    unified = p[I_UNIFIED] == 1
    w = 0 if unified else 1
    for q in range(p[I_NQ]):
        if (S[_u(src), _u(och + F_RQWAIT + w)] >> q) & 1 == 0:
            continue
        gs = S[_u(src), _u(p[O_TQHT] + (w * p[I_NQ] + q) * 2)]
        while gs >= 0:
            io = p[O_TQ] + gs * N_Q
            if (not unified or S[_u(src), _u(io + Q_KIND)] == 1) and S[_u(src), _u(io + Q_ADDED)] >= 0:
                tags[_u(S[_u(src), _u(io + Q_ADDED)]), TG_OUT_W] += 1
            gs = S[_u(src), _u(p[O_TQL] + gs * 2 + 1)]
    for q in range(p[I_NQ]):
        for e in range(S[_u(src), _u(p[O_CQN] + q)]):
            eo = _cq_off(p, S, src, q, e)
            kind = S[_u(src), _u(eo + Q_KIND)]
            if (kind == C_WR or kind == C_WRP) and S[_u(src), _u(eo + Q_ADDED)] >= 0:
                tags[_u(S[_u(src), _u(eo + Q_ADDED)]), TG_OUT_W] += 1
    return np.int64(0)


# ---------------------------------------------------------------------------------------------- engine streams
# The engine's load/store instructions become request streams, one per (instruction, channel), offered to
# their channel in order. ``mem_register`` adds an instruction's streams under a tag; ``mem_step`` runs the
# channels that have work in lockstep, one memory cycle at a time (idle stretches skipped), until a given
# cycle or until some tag has all its requests accepted or all of them completed, and reports those events.
# Tag row 0 is a header: tags[0, 0] is set whenever a tag may have reached an event, so the scan for events
# happens only then; tags[0, 1] is the highest tag id registered (the scan's bound).


@njit(cache=True, inline="always", error_model="numpy")
def _channel_busy(p: np.ndarray, S: np.ndarray, c: int) -> bool:
    och = p[O_CH]
    return S[_u(c), _u(och + F_RQN)] > 0 or S[_u(c), _u(och + F_WQN)] > 0 or S[_u(c), _u(och + F_CQT)] > 0


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _offer(p: np.ndarray, S: np.ndarray, c: int, strm: np.ndarray, chs: np.ndarray, tags: np.ndarray,
           clk: np.int64) -> bool:
    """Offer at most one request to channel c at cycle clk: from the oldest stream that may offer (its rate
    allows it and its queue has room). Returns whether a request was accepted."""
    n = chs[_u(c), 0]
    for k in range(1, n + 1):
        s = chs[_u(c), _u(k)]
        if clk - strm[_u(s), SM_LAST] < strm[_u(s), SM_INT]:
            continue
        w = strm[_u(s), SM_W] == 1
        if not _will_accept(p, S, c, w):
            continue
        tag = strm[_u(s), SM_TAG]
        _add(p, S, c, strm[_u(s), SM_BASE] + strm[_u(s), SM_K] * strm[_u(s), SM_RB], w, clk, tag, tags)
        strm[_u(s), SM_K] += 1
        strm[_u(s), SM_LAST] = clk
        if strm[_u(s), SM_K] == strm[_u(s), SM_NREQ]:
            for j in range(k, n):
                chs[_u(c), _u(j)] = chs[_u(c), _u(j + 1)]
            chs[_u(c), 0] = n - 1
            strm[_u(s), SM_ACTIVE] = 0
            tags[_u(tag), TG_UNOFF] -= 1
            if tags[_u(tag), TG_UNOFF] == 0:
                tags[_u(tag), TG_ACC] = clk
                tags[0, 0] = 1
        return True
    return False


@njit(cache=True, error_model="numpy")
def mem_register(p: np.ndarray, S: np.ndarray, strm: np.ndarray, chs: np.ndarray, tags: np.ndarray,
                 G: np.ndarray, tag: np.int64, chans: np.ndarray, start: np.int64, base: np.int64, nreq: np.int64,
                 req_bytes: np.int64, is_write: np.int64, interval: np.int64) -> np.int64:
    """Add one access: ``nreq`` requests of ``req_bytes`` from channel-local address ``base`` on every channel in
    ``chans``, offered from cycle ``start`` (first request stamped start + 1, as a trace request of cycle
    ``start``), at most one per ``interval`` cycles per stream. Returns 0, or -1 if a table is full."""
    if G[0] < start:
        G[0] = start
    ns = strm.shape[0]
    tags[_u(tag), TG_OUT_R] = 0
    tags[_u(tag), TG_OUT_W] = 0
    tags[_u(tag), TG_DONE] = 0
    tags[_u(tag), TG_ACC] = 0
    tags[_u(tag), TG_UNOFF] = 0
    tags[_u(tag), TG_FLAGS] = 1
    if tag > tags[0, 1]:
        tags[0, 1] = tag  # highest tag in use: _collect scans up to it
    s = 0
    for i in range(chans.shape[0]):
        c = chans[i]
        if chs[_u(c), 0] + 1 >= chs.shape[1]:
            return np.int64(-1)
        while s < ns and strm[_u(s), SM_ACTIVE] == 1:
            s += 1
        if s == ns:
            return np.int64(-1)
        strm[_u(s), SM_ACTIVE] = 1
        strm[_u(s), SM_CHAN] = c
        strm[_u(s), SM_BASE] = base
        strm[_u(s), SM_K] = 0
        strm[_u(s), SM_NREQ] = nreq
        strm[_u(s), SM_RB] = req_bytes
        strm[_u(s), SM_W] = is_write
        strm[_u(s), SM_INT] = interval
        strm[_u(s), SM_LAST] = start + 1 - interval
        strm[_u(s), SM_TAG] = tag
        chs[_u(c), 0] += 1
        chs[_u(c), _u(chs[_u(c), 0])] = s
        tags[_u(tag), TG_UNOFF] += 1
    return np.int64(0)


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _collect(tags: np.ndarray, events: np.ndarray) -> np.int64:
    """Report tags that became accepted (kind 1) or completed (kind 2): rows (tag, kind, cycle) of events."""
    n = 0
    for t in range(1, tags[0, 1] + 1):
        f = tags[_u(t), TG_FLAGS]
        if f & 1 == 0 or tags[_u(t), TG_UNOFF] != 0:
            continue
        if f & 2 == 0:
            events[_u(n), 0], events[_u(n), 1], events[_u(n), 2] = t, 1, tags[_u(t), TG_ACC]
            n += 1
            f |= 2
        if tags[_u(t), TG_OUT_R] == 0 and tags[_u(t), TG_OUT_W] == 0:
            d = tags[_u(t), TG_DONE]
            if d < tags[_u(t), TG_ACC]:
                d = tags[_u(t), TG_ACC]
            events[_u(n), 0], events[_u(n), 1], events[_u(n), 2] = t, 2, d
            n += 1
            f = 0  # the tag is free again
        tags[_u(t), TG_FLAGS] = f
    tags[0, 0] = 0
    return np.int64(n)


@njit(cache=True, error_model="numpy")
def mem_step(p: np.ndarray, T: np.ndarray, S: np.ndarray, strm: np.ndarray, chs: np.ndarray, tags: np.ndarray,
             G: np.ndarray, until: np.int64, events: np.ndarray, cand: np.ndarray) -> np.int64:
    """Run every channel with work from cycle G[0] until ``until`` or the first cycle after which some tag was
    accepted or completed; G[0] becomes the next cycle to run. Returns the number of rows written to
    ``events``. A channel without work is left behind and caught up (idle cycles, refresh) when it next has
    some, which gives the same state since nothing reaches it in between. Only the channels in ``cand``
    (ascending) are looked at: every channel that has streams or requests in flight must be among them (the
    engine passes its class representatives, the only channels it registers streams on; scanning all
    channels every cycle cost more than simulating the one representative of a whole-device stream)."""
    nc = cand.shape[0]
    och = p[O_CH]
    skip = p[I_SKIP] == 1
    clk = G[0]
    while clk < until:
        work = False
        offered = False
        for ci in range(nc):
            c = cand[_u(ci)]
            has_streams = chs[_u(c), 0] > 0
            if not has_streams and not _channel_busy(p, S, c):
                continue
            work = True
            _advance(p, T, S, c, clk + 1, np.int64(-1), tags)
            if has_streams and _offer(p, S, c, strm, chs, tags, clk + 1):
                offered = True
        clk += 1
        if tags[0, 0] != 0:
            n = _collect(tags, events)
            if n > 0:
                G[0] = clk
                return n
        if not work:
            clk = until
            break
        if skip and not offered:
            # nothing was accepted this cycle: jump to the next cycle a channel can act or a stream may offer
            nxt = until
            for ci in range(nc):
                c = cand[_u(ci)]
                if chs[_u(c), 0] > 0:
                    for k in range(1, chs[_u(c), 0] + 1):
                        s = chs[_u(c), _u(k)]
                        t = strm[_u(s), SM_LAST] + strm[_u(s), SM_INT] - 1
                        if _will_accept(p, S, c, strm[_u(s), SM_W] == 1) and t < nxt:
                            nxt = t
                    if S[_u(c), _u(och + F_NEXT)] < nxt:
                        nxt = S[_u(c), _u(och + F_NEXT)]
                elif _channel_busy(p, S, c) and S[_u(c), _u(och + F_NEXT)] < nxt:
                    nxt = S[_u(c), _u(och + F_NEXT)]
            if nxt > clk:
                clk = nxt
    G[0] = clk
    return np.int64(0)


# ---------------------------------------------------------------------------------------------- engine reuse
# Helpers of the engine's block reuse (accelsim.engine.dram.DramMemory): the canonical (relative) end state of
# a block, its restore, and the per-channel counters under channel classes. They do in one call what the
# NumPy formulation did in many small array operations (same numbers).


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _to_relative(S: np.ndarray, s: np.int64, off: np.int64, n: np.int64, width: int, clk: np.int64,
                 out: np.ndarray, k: np.int64) -> np.int64:
    """Copy ``n`` words of channel ``s``'s state from ``off`` into ``out[k:]`` relative to ``clk``: a cycle after
    clk as cycles after it, a passed one as 0. With ``width`` > 0 the words are activate windows of that width
    whose first word (the fill count) is copied as is. Returns the next k."""
    for i in range(n):
        v = S[s, off + i]
        if width == 0 or i % width != 0:
            v = v - clk if v > clk else 0
        out[k] = v
        k += 1
    return k


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _from_relative(rel: np.ndarray, k: np.int64, off: np.int64, n: np.int64, width: int, clk: np.int64,
                   S: np.ndarray, c: int) -> np.int64:
    """The inverse of :func:`_to_relative` at cycle ``clk`` into channel ``c``: earliest cycles become clk +
    the relative value; window timestamps clk + value, 0 (none) staying 0. Returns the next k."""
    for i in range(n):
        v = rel[k]
        if width == 0:
            v = v + clk
        elif i % width != 0:
            v = v + clk if v > 0 else 0
        S[c, off + i] = v
        k += 1
    return k


@njit(cache=True, inline="always", error_model="numpy")
def _canonical_width(p: np.ndarray) -> np.int64:
    """Words of one channel's relative state (``mem_canonical``)."""
    r, b, bg = p[I_RANKS], p[I_BANKS], p[I_BGS]
    return r * b + r * b * N_CMD + r * bg * N_CMD + r * N_CMD + r * 5 + r * 33 + 1


@njit(cache=True, error_model="numpy")
def mem_canonical(p: np.ndarray, S: np.ndarray, rep: np.ndarray, clk: np.int64) -> np.ndarray:
    """Every channel's state relative to cycle ``clk`` (read from its class representative ``rep[c]``), in one
    int64 vector: C row numbers (which row is channel c's), then the rows, one per class. A row: open flag
    per bank, then earliest cycles per bank, group and rank (as cycles after clk, 0 if passed), the activate
    windows (first entry as is, timestamps after clk, 0 if passed) and the round-robin queue index.

    One row per class rather than per channel: the outcome of every simulated block keeps its end state,
    and 32 copies of one row made each snapshot a fresh 57 KB allocation (its page faults cost more than the
    copy)."""
    C = rep.shape[0]
    r, b, bg = p[I_RANKS], p[I_BANKS], p[I_BGS]
    nbank = r * b
    ntb, ntg, ntr = r * b * N_CMD, r * bg * N_CMD, r * N_CMD
    nfaw, naw = r * 5, r * 33
    ncol = _canonical_width(p)
    # a class's representative is its lowest channel (the engine's splits keep it so): a channel whose
    # representative comes before it shares that channel's row
    nrows = 0
    for c in range(C):
        if rep[c] >= c:
            nrows += 1
    out = np.empty(C + nrows * ncol, np.int64)
    obank, otb, otg, otr, ofaw, oaw = p[O_BANK], p[O_TB], p[O_TG], p[O_TR], p[O_FAW], p[O_AW32]
    qidx = p[O_CH] + F_QIDX
    u = 0
    for c in range(C):
        s = rep[c]
        if s < c:
            out[c] = out[s]
            continue
        out[c] = u
        k = C + u * ncol
        u += 1
        for i in range(nbank):
            out[k] = S[s, obank + 3 * i]
            k += 1
        k = _to_relative(S, s, otb, ntb, 0, clk, out, k)
        k = _to_relative(S, s, otg, ntg, 0, clk, out, k)
        k = _to_relative(S, s, otr, ntr, 0, clk, out, k)
        k = _to_relative(S, s, ofaw, nfaw, 5, clk, out, k)
        k = _to_relative(S, s, oaw, naw, 33, clk, out, k)
        out[k] = S[s, qidx]
    return out


@njit(cache=True, error_model="numpy", _nrt=False, forceinline=True)
def _rows_equal(rel: np.ndarray, a: np.int64, b: np.int64, n: np.int64) -> bool:
    for j in range(n):
        if rel[a + j] != rel[b + j]:
            return False
    return True


@njit(cache=True, error_model="numpy")
def mem_restore(p: np.ndarray, S: np.ndarray, G: np.ndarray, rel: np.ndarray, clk: np.int64, rep: np.ndarray,
                statcols: np.ndarray, stat_off: np.ndarray, share: np.int64, newrep: np.ndarray) -> np.int64:
    """Put every channel in the relative state ``rel`` (``mem_canonical``'s layout) at cycle ``clk``: counters
    become each channel's own (representative's plus offset), the refresh rotation continues from channel
    rep[0], open rows become foreign rows, pending constraints and activate windows are shifted by clk,
    refresh and queue bookkeeping restart. Writes the new classes to ``newrep`` (channels with equal rows
    share the first of them; every channel its own where share is 0) and the new counter offsets to
    ``stat_off``. Returns 1 when every channel's row is equal (newrep all 0), else 0. Only representatives get
    the state (until a split copies a representative's row over it, a non-representative's row is only read
    for its counters)."""
    C = rep.shape[0]
    ns = statcols.shape[0]
    ncol = _canonical_width(p)
    nrows = (rel.shape[0] - C) // ncol
    # counters become every channel's own before the classes change
    tmp = np.empty((C, ns), np.int64)
    for c in range(C):
        s = rep[c]
        for j in range(ns):
            tmp[c, j] = S[s, statcols[j]] + stat_off[c, j]
    for c in range(C):
        for j in range(ns):
            S[c, statcols[j]] = tmp[c, j]
    # channels restored to the same state form one class again: rows of equal content get one number
    # (the first such row), and each channel the first channel whose row has its number
    canon = np.empty(nrows, np.int64)
    for u in range(nrows):
        canon[u] = u
        for u2 in range(u):
            if canon[u2] == u2 and _rows_equal(rel, C + u * ncol, C + u2 * ncol, ncol):
                canon[u] = u2
                break
    first = np.full(nrows, -1, np.int64)
    same = np.int64(1)
    c0 = canon[rel[0]]
    for c in range(C):
        k = canon[rel[c]]
        if k != c0:
            same = np.int64(0)
        if first[k] < 0:
            first[k] = c
        if share == 0:
            newrep[c] = c
        else:
            newrep[c] = first[k]
    och = p[O_CH]
    r0 = rep[0]
    nr, nbg, nbk = S[r0, och + F_NRANK], S[r0, och + F_NBG], S[r0, och + F_NBANK]
    r, b = p[I_RANKS], p[I_BANKS]
    ntb, ntg, ntr = r * b * N_CMD, r * p[I_BGS] * N_CMD, r * N_CMD
    nfaw, naw = r * 5, r * 33
    obank, otb, otg, otr, ofaw, oaw, oopn, oqrdy = (p[O_BANK], p[O_TB], p[O_TG], p[O_TR], p[O_FAW], p[O_AW32],
                                                    p[O_OPN], p[O_QRDY])
    interval = p[I_REF_INTERVAL]
    refnext = (clk // interval + 1) * interval
    for c in range(C):
        if newrep[c] != c:
            continue  # its class's representative holds its state (a non-representative row is not read)
        S[c, och + F_NRANK] = nr
        S[c, och + F_NBG] = nbg
        S[c, och + F_NBANK] = nbk
        k = C + rel[c] * ncol
        for ra in range(r):
            nopen = 0
            for i in range(ra * b, (ra + 1) * b):
                op = rel[k]
                k += 1
                S[c, obank + 3 * i] = op
                S[c, obank + 3 * i + 1] = -2 if op == 1 else -1  # an open row that no later access matches
                S[c, obank + 3 * i + 2] = 0
                nopen += op
            S[c, oopn + ra] = nopen
        k = _from_relative(rel, k, otb, ntb, 0, clk, S, c)
        k = _from_relative(rel, k, otg, ntg, 0, clk, S, c)
        k = _from_relative(rel, k, otr, ntr, 0, clk, S, c)
        k = _from_relative(rel, k, ofaw, nfaw, 5, clk, S, c)
        k = _from_relative(rel, k, oaw, naw, 33, clk, S, c)
        S[c, och + F_QIDX] = rel[k]
        S[c, och + F_REFNEXT] = refnext
        S[c, och + F_REFN] = 0
        S[c, och + F_INREF] = 0
        S[c, och + F_REFQ] = -1
        S[c, och + F_REFRANK] = -1
        S[c, och + F_DRAIN] = 0
        S[c, och + F_FENCE] = 0
        S[c, och + F_SBLK] = 0
        S[c, och + F_QMIN] = 0
        for q in range(p[I_NQ]):
            S[c, oqrdy + q] = 0
        S[c, och + F_CLK] = clk
        S[c, och + F_NEXT] = clk
    if G[0] < clk:
        G[0] = clk
    for c in range(C):
        s = newrep[c]
        for j in range(ns):
            stat_off[c, j] = S[c, statcols[j]] - S[s, statcols[j]]
    return same


@njit(cache=True, error_model="numpy")
def mem_counter_rows(p: np.ndarray, S: np.ndarray, rep: np.ndarray, statcols: np.ndarray,
                     stat_off: np.ndarray) -> np.ndarray:
    """The engine's per-channel integer counters (representative's plus offset), one row each: accesses, act,
    pre (+prea), ref (+refb), read_cmds, write_cmds, row hits, read_lat_sum, reads_done, then the energy
    inputs ref, refb, rank active cycles, rank idle cycles."""
    C = rep.shape[0]
    r = p[I_RANKS]
    nst = statcols.shape[0] - 2 * r  # statistics, then (active, idle) per rank
    out = np.empty((13, C), np.int64)
    v = np.empty(statcols.shape[0], np.int64)
    for c in range(C):
        s = rep[c]
        for j in range(statcols.shape[0]):
            v[j] = S[s, statcols[j]] + stat_off[c, j]
        out[0, c] = v[T_RDONE] + v[T_WDONE]
        out[1, c] = v[T_ACT]
        out[2, c] = v[T_PRE] + v[T_PREA]
        out[3, c] = v[T_REF] + v[T_REFB]
        out[4, c] = v[T_RDC]
        out[5, c] = v[T_WRC]
        out[6, c] = v[T_RDH] + v[T_WRH]
        out[7, c] = v[T_LAT]
        out[8, c] = v[T_RDONE]
        out[9, c] = v[T_REF]
        out[10, c] = v[T_REFB]
        a = np.int64(0)
        idle = np.int64(0)
        for k in range(r):
            a += v[nst + 2 * k]
            idle += v[nst + 2 * k + 1]
        out[11, c] = a
        out[12, c] = idle
    return out
