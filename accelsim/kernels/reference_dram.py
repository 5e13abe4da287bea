"""Plain-Python twin of :mod:`accelsim.kernels.dram` (straightforward data structures, no JIT).

The same controller semantics written the simplest way: linear scans of the pending-request lists and of
every command queue on every tick. The Numba kernel must give identical results; the tests compare them on
random traces. Slow: use it on small traces only.

Original description of the kernel it mirrors:

Cycle-level DRAM controller and device timing, with DRAMsim3's controller semantics.

Per channel: a read queue and a write buffer of transactions, per-bank (or per-rank) command queues, bank
state machines (open row, row-hit count, earliest cycle of every command type), a four-activate window
per rank (and a 32-activate window for GDDR), refresh (all-bank by rank, staggered, or per bank), and the
controller's per-cycle loop: return finished reads, insert due refreshes, issue one command (refresh
first; the first ready command of each queue, queues taken round robin, row hits before precharges;
HBM may issue a row and a column command together), then move one transaction into its command queue.

Timing constraints are kept at three levels (bank, bank group, rank): a command's effect on "other banks
of its group" is recorded once for the group and on "other groups" once for the rank; a bank's earliest
cycle for a command is the maximum over the three levels. This equals per-bank bookkeeping because every
same-bank delay dominates the group/rank one (checked when the configuration is derived).

Event skipping: a channel whose queues cannot change and whose next command is not ready before cycle t is
not ticked before t (refresh, arrivals and completions included in t); idle time is accounted in bulk.
This gives the same command sequence as ticking every cycle (``skip=False``), which the tests compare.

State lives in arrays created by :func:`new_state` and persists between calls. Two drivers:
``run_trace`` replays a DRAMsim3-style trace over all channels (one request per cycle, or as many as
accepted, in order); ``run_stream`` feeds one channel a contiguous stream of requests from a start cycle.
"""

from __future__ import annotations

import numpy as np

__all__ = ["P", "new_state", "run_trace", "run_stream", "STAT", "decode_address"]

# ---------------------------------------------------------------------------------------------- layout
# command types (accelsim.config.dram.CMD)
C_RD, C_RDP, C_WR, C_WRP, C_ACT, C_PRE, C_REFB, C_REF = 0, 1, 2, 3, 4, 5, 6, 7
C_PREA = 8  # precharge all (accelsim extension for refresh)
N_CMD = 8
S_SB, S_OB, S_OG, S_OR, S_SR = 0, 1, 2, 3, 4

# parameter array indices
P = {name: i for i, name in enumerate((
    "channels", "ranks", "bankgroups", "bpg", "banks", "nq", "cq", "tq", "write_buf", "unified", "per_bank",
    "open_page", "frfcfs", "read_delay", "write_delay", "tfaw", "t32aw", "gddr", "dual", "ref_interval",
    "ref_policy", "prea", "shift", "pos_ch", "pos_ra", "pos_bg", "pos_ba", "pos_ro", "pos_co", "mask_ch",
    "mask_ra", "mask_bg", "mask_ba", "mask_ro", "mask_co", "pr_cap", "pw_cap", "rq_cap", "skip", "hit_limit",
))}
N_P = len(P)

# per-channel scalar state
CH = {name: i for i, name in enumerate((
    "rq_n", "wq_n", "pr_n", "pw_n", "q_idx", "drain", "ref_n", "in_ref", "ref_rank", "ref_q", "ref_next",
    "ref_nrank", "ref_nbg", "ref_nbank", "last_done", "next_evt", "sched_blocked", "clk", "spare",
))}
N_CH = len(CH)

# statistics per channel
STAT = {name: i for i, name in enumerate((
    "reads_done", "writes_done", "read_cmds", "write_cmds", "read_hits", "write_hits", "act", "pre", "ref", "refb",
    "read_lat_sum", "dual_cmds", "ticks", "prea",
))}
N_STAT = len(STAT)

# queue entry fields: addr, added, rank, bg, bank(in group), row, col, is_write / kind
Q_ADDR, Q_ADDED, Q_RANK, Q_BG, Q_BA, Q_ROW, Q_COL, Q_KIND = range(8)
N_Q = 8
BIG = np.int64(1) << np.int64(62)


def new_state(params: np.ndarray) -> tuple:
    """Fresh arrays for ``params`` (see :data:`P`): everything idle, refresh due at the first interval."""
    c, r, bg, b = int(params[P["channels"]]), int(params[P["ranks"]]), int(params[P["bankgroups"]]), int(params[P["banks"]])
    nq, cq, tq = int(params[P["nq"]]), int(params[P["cq"]]), int(params[P["tq"]])
    ch = np.zeros((c, N_CH), np.int64)
    ch[:, CH["ref_next"]] = params[P["ref_interval"]]
    ch[:, CH["ref_q"]] = -1
    ch[:, CH["ref_rank"]] = -1
    ch[:, CH["q_idx"]] = 0
    return (
        ch,
        np.zeros((c, N_STAT), np.int64),
        np.zeros((c, r, 2), np.int64),                      # rank active / all-idle cycles
        np.zeros((c, tq, N_Q), np.int64),                   # read queue (or unified)
        np.zeros((c, tq, N_Q), np.int64),                   # write buffer
        np.zeros((c, int(params[P["pr_cap"]]), 3), np.int64),  # pending reads: addr, added, stream tag
        np.zeros((c, int(params[P["pw_cap"]])), np.int64),      # pending writes: addr
        np.zeros((c, nq, cq, N_Q), np.int64),               # command queues
        np.zeros((c, nq), np.int64),                        # command queue lengths
        np.zeros((c, r, b, 3), np.int64),                   # bank: open, row, hits
        np.zeros((c, r, b, N_CMD), np.int64),               # earliest cycle per command, bank level
        np.zeros((c, r, bg, N_CMD), np.int64),              # bank-group level
        np.zeros((c, r, N_CMD), np.int64),                  # rank level
        np.zeros((c, r, 5), np.int64),                      # four-activate window: n, t0..t3
        np.zeros((c, r, 33), np.int64),                     # 32-activate window (GDDR): n, t0..t31
        np.zeros((c, int(params[P["rq_cap"]]), 4), np.int64),  # refresh queue: kind, rank, bg, bank
        np.zeros((c, r), np.int64),                         # open banks per rank
    )


# ---------------------------------------------------------------------------------------------- helpers
def decode_address(p: np.ndarray, addr: np.int64) -> tuple:
    a = addr >> p[22]
    return ((a >> p[23]) & p[29], (a >> p[24]) & p[30], (a >> p[25]) & p[31], (a >> p[26]) & p[32],
            (a >> p[27]) & p[33], (a >> p[28]) & p[34])


def _queue_index(p: np.ndarray, rank: np.int64, bg: np.int64, ba: np.int64) -> np.int64:
    if p[10] == 1:
        return rank * p[4] + bg * p[3] + ba
    return rank


def _earliest(tb: np.ndarray, tg: np.ndarray, tr: np.ndarray, c: int, r: np.int64, g: np.int64, bidx: np.int64,
              t: int) -> np.int64:
    e = tb[c, r, bidx, t]
    if tg[c, r, g, t] > e:
        e = tg[c, r, g, t]
    if tr[c, r, t] > e:
        e = tr[c, r, t]
    return e


def _faw_ok(p: np.ndarray, faw: np.ndarray, aw32: np.ndarray, c: int, r: np.int64, clk: np.int64) -> np.int64:
    """0 if an ACT may issue at clk, else the earliest cycle the window allows one."""
    n = faw[c, r, 0]
    if n > 0 and clk < faw[c, r, 1] and n >= 4:
        return faw[c, r, 1]
    if p[17] == 1:
        n32 = aw32[c, r, 0]
        if n32 > 0 and clk < aw32[c, r, 1] and n32 >= 32:
            return aw32[c, r, 1]
    return 0


def _record_act(p: np.ndarray, faw: np.ndarray, aw32: np.ndarray, c: int, r: np.int64, clk: np.int64) -> None:
    n = faw[c, r, 0]
    if n > 0 and clk >= faw[c, r, 1]:
        for i in range(1, n):
            faw[c, r, i] = faw[c, r, i + 1]
        n -= 1
    faw[c, r, n + 1] = clk + p[15]
    faw[c, r, 0] = n + 1
    if p[17] == 1:
        n = aw32[c, r, 0]
        if n > 0 and clk >= aw32[c, r, 1]:
            for i in range(1, n):
                aw32[c, r, i] = aw32[c, r, i + 1]
            n -= 1
        aw32[c, r, n + 1] = clk + p[16]
        aw32[c, r, 0] = n + 1


def _update_timing(p: np.ndarray, T: np.ndarray, tb: np.ndarray, tg: np.ndarray, tr: np.ndarray, c: int, cmd: int,
                   r: np.int64, g: np.int64, bidx: np.int64, clk: np.int64) -> None:
    ranks, bpg, bgs = p[1], p[3], p[2]
    if cmd == C_REF:
        for t in range(N_CMD):
            d = T[cmd, S_SR, t]
            if d >= 0 and clk + d > tr[c, r, t]:
                tr[c, r, t] = clk + d
        return
    if cmd == C_REFB:
        # exact per-bank loops: DRAMsim3 gives the refreshed bank itself no constraint
        for gg in range(bgs):
            for k in range(bpg):
                bi = gg * bpg + k
                if bi == bidx:
                    continue
                scope = S_OB if gg == g else S_OG
                for t in range(N_CMD):
                    d = T[cmd, scope, t]
                    if d >= 0 and clk + d > tb[c, r, bi, t]:
                        tb[c, r, bi, t] = clk + d
        return
    for t in range(N_CMD):
        d = T[cmd, S_SB, t]
        if d >= 0 and clk + d > tb[c, r, bidx, t]:
            tb[c, r, bidx, t] = clk + d
        d = T[cmd, S_OB, t]
        if d >= 0 and clk + d > tg[c, r, g, t]:
            tg[c, r, g, t] = clk + d
        d = T[cmd, S_OG, t]
        if d >= 0 and clk + d > tr[c, r, t]:
            tr[c, r, t] = clk + d
        d = T[cmd, S_OR, t]
        if d >= 0:
            for rr in range(ranks):
                if rr != r and clk + d > tr[c, rr, t]:
                    tr[c, rr, t] = clk + d


# ---------------------------------------------------------------------------------------------- one channel
def _required(bank: np.ndarray, c: int, r: np.int64, bidx: np.int64, kind: np.int64, row: np.int64) -> np.int64:
    """The command a queued read/write needs next: ACT (bank closed), itself (row open), or PRE."""
    if bank[c, r, bidx, 0] == 0:
        return C_ACT
    if bank[c, r, bidx, 1] == row:
        return kind
    return C_PRE


def _arbitrate_pre(p: np.ndarray, cq: np.ndarray, cqn: np.ndarray, bank: np.ndarray, c: int, q: np.int64,
                   e: int) -> bool:
    """DRAMsim3's ArbitratePrecharge: no older command to the bank, and no pending row hit (or 4 hits done)."""
    r, g, ba = cq[c, q, e, Q_RANK], cq[c, q, e, Q_BG], cq[c, q, e, Q_BA]
    for k in range(e):
        if cq[c, q, k, Q_RANK] == r and cq[c, q, k, Q_BG] == g and cq[c, q, k, Q_BA] == ba:
            return False
    bidx = g * p[3] + ba
    open_row = bank[c, r, bidx, 1]
    for k in range(e, cqn[c, q]):
        if (cq[c, q, k, Q_ROW] == open_row and cq[c, q, k, Q_BA] == ba and cq[c, q, k, Q_BG] == g
                and cq[c, q, k, Q_RANK] == r):
            return bank[c, r, bidx, 2] >= p[39]
    return True


def _rw_dependency(cq: np.ndarray, c: int, q: np.int64, e: int) -> bool:
    """A write must not pass an older read of the same column."""
    for k in range(e):
        kind = cq[c, q, k, Q_KIND]
        if ((kind == C_RD or kind == C_RDP) and cq[c, q, k, Q_ROW] == cq[c, q, e, Q_ROW]
                and cq[c, q, k, Q_COL] == cq[c, q, e, Q_COL] and cq[c, q, k, Q_BA] == cq[c, q, e, Q_BA]
                and cq[c, q, k, Q_BG] == cq[c, q, e, Q_BG]):
            return True
    return False


def _first_ready(p, cq, cqn, bank, tb, tg, tr, faw, aw32, c, q, clk):  # type: ignore[no-untyped-def]
    """First ready command of queue q: (command, entry) or (-1, -1); and the earliest cycle one may be ready."""
    min_t = BIG
    n = cqn[c, q]
    if p[12] == 0 and n > 1:
        n = 1  # FCFS: only the oldest command
    for e in range(n):
        r, g, ba = cq[c, q, e, Q_RANK], cq[c, q, e, Q_BG], cq[c, q, e, Q_BA]
        bidx = g * p[3] + ba
        req = _required(bank, c, r, bidx, cq[c, q, e, Q_KIND], cq[c, q, e, Q_ROW])
        et = _earliest(tb, tg, tr, c, r, g, bidx, req)
        if req == C_ACT:
            fw = _faw_ok(p, faw, aw32, c, r, clk)
            if fw > et:
                et = fw
        if clk < et:
            if et < min_t:
                min_t = et
            continue
        if req == C_PRE:
            if not _arbitrate_pre(p, cq, cqn, bank, c, q, e):
                continue
        elif req == C_WR or req == C_WRP:
            if _rw_dependency(cq, c, q, e):
                continue
        return req, e, min_t
    return -1, -1, min_t


def _queue_blocked(p: np.ndarray, ch: np.ndarray, c: int, q: int) -> bool:
    if ch[c, 7] == 0:
        return False
    if ch[c, 9] >= 0:
        return q == ch[c, 9]
    qr = q // p[4] if p[10] == 1 else q
    return qr == ch[c, 8]


def _get_command(p, ch, cq, cqn, bank, tb, tg, tr, faw, aw32, c, clk):  # type: ignore[no-untyped-def]
    """DRAMsim3's GetCommandToIssue: queues round robin from the one after the last; (cmd, queue, entry, min_t)."""
    nq = p[5]
    qi = ch[c, 4]
    min_t = BIG
    for _ in range(nq):
        qi += 1
        if qi == nq:
            qi = 0
        if _queue_blocked(p, ch, c, qi):
            continue
        if cqn[c, qi] == 0:
            continue
        cmd, e, mt = _first_ready(p, cq, cqn, bank, tb, tg, tr, faw, aw32, c, qi, clk)
        if mt < min_t:
            min_t = mt
        if cmd >= 0:
            ch[c, 4] = qi
            return cmd, qi, e, min_t
    return -1, -1, -1, min_t


def _close_bank(bank: np.ndarray, opn: np.ndarray, c: int, r: np.int64, bidx: np.int64) -> None:
    if bank[c, r, bidx, 0] == 1:
        opn[c, r] -= 1
    bank[c, r, bidx, 0] = 0
    bank[c, r, bidx, 1] = -1
    bank[c, r, bidx, 2] = 0


def _issue(p, T, ch, st, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, cmd, q, e, r, g, ba, row,
           clk, tag, tag_done):  # type: ignore[no-untyped-def]
    """Issue one command: completions, statistics (before the state changes, as DRAMsim3), state, timing."""
    bidx = g * p[3] + ba
    if cmd == C_RD or cmd == C_RDP or cmd == C_WR or cmd == C_WRP:
        addr = cq[c, q, e, Q_ADDR]
        if cmd == C_RD or cmd == C_RDP:
            done = clk + p[13]
            k = 0
            while k < ch[c, 2]:
                if pr[c, k, 0] == addr:
                    st[c, 0] += 1
                    st[c, 10] += done - pr[c, k, 1]
                    if done > ch[c, 14]:
                        ch[c, 14] = done
                    if pr[c, k, 2] == tag and done > tag_done[0]:
                        tag_done[0] = done
                    if pr[c, k, 2] == tag:
                        tag_done[1] -= 1
                    last = ch[c, 2] - 1
                    pr[c, k, 0] = pr[c, last, 0]
                    pr[c, k, 1] = pr[c, last, 1]
                    pr[c, k, 2] = pr[c, last, 2]
                    ch[c, 2] = last
                else:
                    k += 1
            st[c, 2] += 1
            if bank[c, r, bidx, 2] != 0:
                st[c, 4] += 1
        else:
            for k in range(ch[c, 3]):
                if pw[c, k] == addr:
                    pw[c, k] = pw[c, ch[c, 3] - 1]
                    ch[c, 3] -= 1
                    break
            st[c, 3] += 1
            if bank[c, r, bidx, 2] != 0:
                st[c, 5] += 1
            if tag >= 0 and cq[c, q, e, Q_ADDED] == tag:
                wd = clk + p[14]
                if wd > tag_done[2]:
                    tag_done[2] = wd
                tag_done[3] -= 1
        if cmd == C_RD or cmd == C_WR:
            bank[c, r, bidx, 2] += 1
        else:
            _close_bank(bank, opn, c, r, bidx)
        # erase the entry from its command queue
        n = cqn[c, q]
        for k in range(e, n - 1):
            for f in range(N_Q):
                cq[c, q, k, f] = cq[c, q, k + 1, f]
        cqn[c, q] = n - 1
        ch[c, 16] = 0  # the transaction scheduler may find room again
    elif cmd == C_ACT:
        st[c, 6] += 1
        bank[c, r, bidx, 0] = 1
        bank[c, r, bidx, 1] = row
        bank[c, r, bidx, 2] = 0
        opn[c, r] += 1
        _record_act(p, faw, aw32, c, r, clk)
    elif cmd == C_PRE:
        st[c, 7] += 1
        _close_bank(bank, opn, c, r, bidx)
    elif cmd == C_PREA:
        st[c, 13] += 1
        for b in range(p[4]):
            if bank[c, r, b, 0] == 1:
                _close_bank(bank, opn, c, r, b)
                _update_timing(p, T, tb, tg, tr, c, C_PRE, r, b // p[3], b, clk)
        return
    elif cmd == C_REF or cmd == C_REFB:
        st[c, 8 if cmd == C_REF else 9] += 1
        # the pending refresh is done: remove the first matching entry of the refresh queue
        n = ch[c, 6]
        for k in range(n):
            if refq[c, k, 1] == r and (cmd == C_REF or (refq[c, k, 2] == g and refq[c, k, 3] == ba)):
                for j in range(k, n - 1):
                    for f in range(4):
                        refq[c, j, f] = refq[c, j + 1, f]
                ch[c, 6] = n - 1
                break
    _update_timing(p, T, tb, tg, tr, c, cmd, r, g, bidx, clk)


def _finish_refresh(p, ch, bank, tb, tg, tr, refq, opn, c, clk):  # type: ignore[no-untyped-def]
    """DRAMsim3's FinishRefresh: close the rank's (or bank's) rows, then refresh; (cmd, r, g, ba, min_t)."""
    kind, r = refq[c, 0, 0], refq[c, 0, 1]
    if ch[c, 7] == 0:
        ch[c, 7] = 1
        if kind == C_REF:
            ch[c, 8] = r
            ch[c, 9] = -1
        else:
            ch[c, 8] = -1
            ch[c, 9] = _queue_index(p, r, refq[c, 0, 2], refq[c, 0, 3])
    min_t = BIG
    if kind == C_REFB:
        g, ba = refq[c, 0, 2], refq[c, 0, 3]
        bidx = g * p[3] + ba
        req = C_PRE if bank[c, r, bidx, 0] == 1 else C_REFB
        et = _earliest(tb, tg, tr, c, r, g, bidx, req)
        if clk >= et:
            if req == C_REFB:
                ch[c, 7] = 0
                ch[c, 8] = -1
                ch[c, 9] = -1
            return req, r, g, ba, min_t
        return -1, r, g, ba, et
    if p[21] == 1 and opn[c, r] > 0:
        # precharge all: when every open bank may precharge
        et = np.int64(0)
        for b in range(p[4]):
            if bank[c, r, b, 0] == 1:
                t = _earliest(tb, tg, tr, c, r, b // p[3], b, C_PRE)
                if t > et:
                    et = t
        if clk >= et:
            return C_PREA, r, 0, 0, min_t
        return -1, r, 0, 0, et
    num_ready = 0
    for g in range(p[2]):
        for ba in range(p[3]):
            bidx = g * p[3] + ba
            req = C_PRE if bank[c, r, bidx, 0] == 1 else C_REF
            et = _earliest(tb, tg, tr, c, r, g, bidx, req)
            if clk < et:
                if et < min_t:
                    min_t = et
                continue
            if req == C_PRE:
                return C_PRE, r, g, ba, min_t
            num_ready += 1
    if num_ready == p[4]:
        ch[c, 7] = 0
        ch[c, 8] = -1
        ch[c, 9] = -1
        return C_REF, r, 0, 0, min_t
    return -1, r, 0, 0, min_t


def _insert_refresh(p: np.ndarray, ch: np.ndarray, refq: np.ndarray, c: int) -> None:
    n = ch[c, 6]
    if n >= refq.shape[1]:
        return  # never reached with sane timing: refreshes complete long before the next is due
    pol = p[20]
    if pol == 0:  # all ranks "simultaneously": DRAMsim3 queues the first (not self-refreshing) rank only
        refq[c, n, 0], refq[c, n, 1], refq[c, n, 2], refq[c, n, 3] = C_REF, 0, -1, -1
    elif pol == 1:
        refq[c, n, 0], refq[c, n, 1], refq[c, n, 2], refq[c, n, 3] = C_REF, ch[c, 11], -1, -1
        ch[c, 11] = (ch[c, 11] + 1) % p[1]
    else:
        refq[c, n, 0], refq[c, n, 1], refq[c, n, 2], refq[c, n, 3] = C_REFB, ch[c, 11], ch[c, 12], ch[c, 13]
        ch[c, 12] = (ch[c, 12] + 1) % p[2]
        if ch[c, 12] == 0:
            ch[c, 13] = (ch[c, 13] + 1) % p[3]
            if ch[c, 13] == 0:
                ch[c, 11] = (ch[c, 11] + 1) % p[1]
    ch[c, 6] = n + 1


def _has_pending_read(ch: np.ndarray, pr: np.ndarray, c: int, addr: np.int64) -> bool:
    for k in range(ch[c, 2]):
        if pr[c, k, 0] == addr:
            return True
    return False


def _all_queues_empty(p: np.ndarray, cqn: np.ndarray, c: int) -> bool:
    for q in range(p[5]):
        if cqn[c, q] > 0:
            return False
    return True


def _schedule_transaction(p, ch, rq, wq, pr, cq, cqn, c):  # type: ignore[no-untyped-def]
    """DRAMsim3's ScheduleTransaction: move the first movable transaction into its command queue."""
    tq = p[7]
    unified = p[9] == 1
    if ch[c, 5] == 0 and not unified:
        # drain when the write buffer is full, or holds more than the threshold while no command is queued
        if ch[c, 1] >= tq or (ch[c, 1] > p[8] and _all_queues_empty(p, cqn, c)):
            ch[c, 5] = ch[c, 1]
    use_w = (not unified) and ch[c, 5] > 0
    if use_w:
        # the write the drain would move first waits for a pending read of its address: stop draining, and
        # if the drain would restart at once, schedule from the read queue instead (see the kernel)
        for i in range(ch[c, 1]):
            if cqn[c, _queue_index(p, wq[c, i, Q_RANK], wq[c, i, Q_BG], wq[c, i, Q_BA])] >= p[6]:
                continue
            if _has_pending_read(ch, pr, c, wq[c, i, Q_ADDR]):
                ch[c, 5] = 0
                if not (ch[c, 1] >= tq or (ch[c, 1] > p[8] and _all_queues_empty(p, cqn, c))):
                    return True
                use_w = False
            break
    n = ch[c, 1] if use_w else ch[c, 0]
    moved = False
    for i in range(n):
        if use_w:
            r, g, ba = wq[c, i, Q_RANK], wq[c, i, Q_BG], wq[c, i, Q_BA]
        else:
            r, g, ba = rq[c, i, Q_RANK], rq[c, i, Q_BG], rq[c, i, Q_BA]
        q = _queue_index(p, r, g, ba)
        if cqn[c, q] >= p[6]:
            continue
        is_write = use_w or (unified and rq[c, i, Q_KIND] == 1)
        if use_w:
            if _has_pending_read(ch, pr, c, wq[c, i, Q_ADDR]):
                ch[c, 5] = 0
                return True  # state changed (draining stopped)
            ch[c, 5] -= 1
        k = cqn[c, q]
        for f in range(N_Q):
            cq[c, q, k, f] = wq[c, i, f] if use_w else rq[c, i, f]
        if is_write:
            cq[c, q, k, Q_KIND] = C_WR if p[11] == 1 else C_WRP
        else:
            cq[c, q, k, Q_KIND] = C_RD if p[11] == 1 else C_RDP
        cqn[c, q] = k + 1
        if use_w:
            for j in range(i, n - 1):
                for f in range(N_Q):
                    wq[c, j, f] = wq[c, j + 1, f]
            ch[c, 1] = n - 1
        else:
            for j in range(i, n - 1):
                for f in range(N_Q):
                    rq[c, j, f] = rq[c, j + 1, f]
            ch[c, 0] = n - 1
        moved = True
        break
    return moved


def _tick(p, T, ch, st, rk, rq, wq, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, clk, tag,
          tag_done):  # type: ignore[no-untyped-def]
    """One controller clock tick of channel c at cycle clk. Returns the earliest cycle anything can happen next."""
    if clk == ch[c, 10]:
        _insert_refresh(p, ch, refq, c)
        ch[c, 10] += p[19]
    nxt = BIG
    cmd = np.int64(-1)
    issued = False
    if ch[c, 6] > 0:
        cmd, r, g, ba, mt = _finish_refresh(p, ch, bank, tb, tg, tr, refq, opn, c, clk)
        if mt < nxt:
            nxt = mt
        if cmd >= 0:
            _issue(p, T, ch, st, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, cmd, -1, -1, r, g, ba,
                   -1, clk, tag, tag_done)
            issued = True
    if cmd < 0:
        cmd, q, e, mt = _get_command(p, ch, cq, cqn, bank, tb, tg, tr, faw, aw32, c, clk)
        if mt < nxt:
            nxt = mt
        if cmd >= 0:
            _issue(p, T, ch, st, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, cmd, q, e,
                   cq[c, q, e, Q_RANK], cq[c, q, e, Q_BG], cq[c, q, e, Q_BA], cq[c, q, e, Q_ROW], clk, tag, tag_done)
            issued = True
    if issued and p[18] == 1:
        first_rw = cmd <= C_WRP
        cmd2, q2, e2, mt = _get_command(p, ch, cq, cqn, bank, tb, tg, tr, faw, aw32, c, clk)
        if cmd2 >= 0 and (cmd2 <= C_WRP) != first_rw:
            _issue(p, T, ch, st, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, cmd2, q2, e2,
                   cq[c, q2, e2, Q_RANK], cq[c, q2, e2, Q_BG], cq[c, q2, e2, Q_BA], cq[c, q2, e2, Q_ROW], clk, tag,
                   tag_done)
            st[c, 11] += 1
    # background power: a rank with any open bank is active this cycle
    for r in range(p[1]):
        if opn[c, r] == 0:
            rk[c, r, 1] += 1
        else:
            rk[c, r, 0] += 1
    st[c, 12] += 1
    if ch[c, 16] == 0:
        if _schedule_transaction(p, ch, rq, wq, pr, cq, cqn, c):
            issued = True
        else:
            ch[c, 16] = 1
    if issued:
        return clk + 1
    if ch[c, 10] < nxt:
        nxt = ch[c, 10]
    return nxt


def _advance(p, T, ch, st, rk, rq, wq, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, until, tag,
             tag_done):  # type: ignore[no-untyped-def]
    """Bring channel c from its clock up to (not including) cycle ``until``.

    With skipping on, cycles before the channel's next event are not ticked: they are idle by construction
    (no command can issue, no transaction can move, no refresh is due), so only the background counters and
    the clock advance.
    """
    clk = ch[c, 17]
    skip = p[38] == 1
    while clk < until:
        if skip and ch[c, 15] > clk:
            stop = ch[c, 15] if ch[c, 15] < until else until
            gap = stop - clk
            for r in range(p[1]):
                if opn[c, r] == 0:
                    rk[c, r, 1] += gap
                else:
                    rk[c, r, 0] += gap
            st[c, 12] += gap
            clk = stop
            continue
        ch[c, 15] = _tick(p, T, ch, st, rk, rq, wq, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, clk,
                          tag, tag_done)
        clk += 1
    ch[c, 17] = clk


def _will_accept(p: np.ndarray, ch: np.ndarray, c: int, is_write: bool) -> bool:
    if p[9] == 1 or not is_write:
        return ch[c, 0] < p[7]
    return ch[c, 1] < p[7]


def _add(p, ch, st, rq, wq, pr, pw, c, addr, is_write, clk, tag, tag_done):  # type: ignore[no-untyped-def]
    """DRAMsim3's AddTransaction at controller cycle clk (writes are posted; reads may hit the write buffer)."""
    _ch, r, g, ba, row, col = decode_address(p, addr)
    ch[c, 16] = 0
    if is_write:
        merged = False
        for k in range(ch[c, 3]):
            if pw[c, k] == addr:
                merged = True
                break
        if not merged:
            pw[c, ch[c, 3]] = addr
            ch[c, 3] += 1
            q = rq if p[9] == 1 else wq
            n = ch[c, 0] if p[9] == 1 else ch[c, 1]
            q[c, n, Q_ADDR], q[c, n, Q_ADDED], q[c, n, Q_RANK], q[c, n, Q_BG] = addr, tag, r, g
            q[c, n, Q_BA], q[c, n, Q_ROW], q[c, n, Q_COL], q[c, n, Q_KIND] = ba, row, col, 1
            if p[9] == 1:
                ch[c, 0] = n + 1
            else:
                ch[c, 1] = n + 1
            if tag >= 0:
                tag_done[3] += 1
        st[c, 1] += 1
        if clk + 1 > ch[c, 14]:
            ch[c, 14] = clk + 1
        return
    for k in range(ch[c, 3]):
        if pw[c, k] == addr:  # served from the write buffer
            st[c, 0] += 1
            st[c, 10] += 1
            if clk + 1 > ch[c, 14]:
                ch[c, 14] = clk + 1
            if tag >= 0 and clk + 1 > tag_done[0]:
                tag_done[0] = clk + 1
            return
    first = not _has_pending_read(ch, pr, c, addr)
    if tag >= 0:
        tag_done[1] += 1
    k = ch[c, 2]
    pr[c, k, 0], pr[c, k, 1], pr[c, k, 2] = addr, clk, tag
    ch[c, 2] = k + 1
    if first:
        n = ch[c, 0]
        rq[c, n, Q_ADDR], rq[c, n, Q_ADDED], rq[c, n, Q_RANK], rq[c, n, Q_BG] = addr, clk, r, g
        rq[c, n, Q_BA], rq[c, n, Q_ROW], rq[c, n, Q_COL], rq[c, n, Q_KIND] = ba, row, col, 0
        ch[c, 0] = n + 1


# ---------------------------------------------------------------------------------------------- drivers
def run_trace(p, T, ch, st, rk, rq, wq, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, addrs, writes,
              cycles, unlimited, max_cycles):  # type: ignore[no-untyped-def]
    """Replay a trace over all channels as DRAMsim3's trace CPU does; return the cycles until the last completion.

    Every memory cycle: tick each controller, then offer the next request(s) in trace order whose cycle has
    come (one per cycle, or as many as the controllers accept with ``unlimited``), stopping at the first refusal.
    Requests are stamped with the controllers' new clock. Returns (last completion + 1), i.e. the number of
    memory cycles simulated, or -1 if ``max_cycles`` passed first.
    """
    n = addrs.shape[0]
    C = p[0]
    tag_done = np.zeros(4, np.int64)
    i = 0
    clk = np.int64(0)
    skip = p[38] == 1
    while clk < max_cycles:
        for c in range(C):
            _advance(p, T, ch, st, rk, rq, wq, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c, clk + 1,
                     -1, tag_done)
        clk += 1
        offered = False
        while i < n and cycles[i] <= clk - 1:
            a = addrs[i]
            c = ((a >> p[22]) >> p[23]) & p[29]
            w = writes[i] == 1
            if not _will_accept(p, ch, c, w):
                break
            _add(p, ch, st, rq, wq, pr, pw, c, a, w, clk, -1, tag_done)
            if ch[c, 15] > clk:
                ch[c, 15] = clk
            i += 1
            offered = True
            if unlimited == 0:
                break
        if i == n:
            busy = False
            last = np.int64(0)
            for c in range(C):
                if ch[c, 2] > 0:
                    busy = True
                if ch[c, 14] > last:
                    last = ch[c, 14]
            if not busy and clk > last:
                for c in range(C):
                    _advance(p, T, ch, st, rk, rq, wq, pr, pw, cq, cqn, bank, tb, tg, tr, faw, aw32, refq, opn, c,
                             last + 1, -1, tag_done)
                return last + 1
        if skip and not offered:
            nxt = BIG
            for c in range(C):
                if ch[c, 15] < nxt:
                    nxt = ch[c, 15]
            if i < n and cycles[i] >= clk and cycles[i] < nxt:
                nxt = cycles[i]
            if i == n:
                # nothing left to offer: the run ends at the last completion
                last = np.int64(0)
                for c in range(C):
                    if ch[c, 14] > last:
                        last = ch[c, 14]
                # the last tick is cycle ``last`` (ticking it ends the run with the clock at last + 1)
                if last < nxt:
                    nxt = last
            if nxt > clk and nxt < BIG:
                clk = nxt
    return np.int64(-1)
