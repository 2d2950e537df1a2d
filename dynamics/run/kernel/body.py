"""The compiled ensemble kernel's integrators (numba), compiled once for every model.

The model's own functions arrive as arguments: ``rate(y, p, out)``, ``conditions(y, p,
out)`` (of triggered interventions) and ``jvp(y, p, v, out)`` (the rate's derivative
along ``v``), each a numba ``cfunc`` that :mod:`dynamics.run.kernel.build` compiles from the
generated code. numba types a cfunc by its signature alone (a first-class function
type), so these integrators are compiled once for all models and kept in numba's
on-disk cache; a new model shape pays only the compilation of its own small functions.
Called through a pointer, the rate is not inlined: at two states, where that would show
most, the cost of an evaluation was within the machine's noise of the inlined one
(docs/performance.md).

``many`` integrates members in parallel threads by the Dormand-Prince 5(4) pair with
scipy's ``RK45`` tableau (read from scipy), error estimate, step control and dense
output, with interventions applied inside (see :mod:`dynamics.run.kernel.build`); ``many_lanes``
integrates members without interventions the same way, eight side by side in the lanes
of a vectorised rate, with the same numbers to the last bit; ``implicit_many``
integrates members found stiff by Shampine's (1982) Rosenbrock method. Both return a
status per member, the codes below.
"""

import numba
import numpy as np
from scipy.integrate._ivp.rk import RK45

from dynamics.run.interventions import IN_Y, MAX_FIRED, SET

__all__ = ["FINISHED", "DIVERGED", "STIFF", "NONFINITE", "TOO_MANY", "IMPLICIT", "LANES",
           "many", "many_lanes", "implicit_many"]

#: a member's status: finished, diverged (a variable exceeded its bound), suspected stiff
#: (too many steps, a vanishing step, or Hairer's test), non-finite values, too many
#: interventions fired (a repeating condition that chatters), finished by the implicit
#: method (set by :mod:`dynamics.run.kernel.build`)
FINISHED, DIVERGED, STIFF, NONFINITE, TOO_MANY, IMPLICIT = 0, 1, 2, 3, 4, 5
#: members integrated side by side by ``lanes``, one in each lane of the vectorised rate
#: (8 doubles: one AVX-512 register, two AVX2 ones)
LANES = 8
# a lane's phase: without a member, choosing the member's first step, stepping
IDLE, STARTING, STEPPING = 0, 1, 2

# the Dormand-Prince tableau, as scipy's RK45 has it (numba freezes these as constants)
A = np.asarray(RK45.A, dtype=float)
B = np.asarray(RK45.B, dtype=float)
E = np.asarray(RK45.E, dtype=float)
P = np.asarray(RK45.P, dtype=float)
C = np.asarray(RK45.C, dtype=float)


@numba.njit(cache=True, error_model="numpy")
def rms(x):
    return np.sqrt(np.mean(x * x))


@numba.njit(cache=True, error_model="numpy")
def trial_step(y, f0, rtol, atol, span, scale):
    # scipy's select_initial_step, its first half: each variable's scale (into ``scale``),
    # the norms of y and of its rate f0, and the trial step h0 (at most ``span``); returns
    # h0 and the rate's norm d1 (one function for every integrator, so that they agree)
    for i in range(y.size):
        scale[i] = atol + abs(y[i]) * rtol
    d0, d1 = rms(y / scale), rms(f0 / scale)
    h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    return min(h0, span), d1


@numba.njit(cache=True, error_model="numpy")
def first_step(f0, f1, scale, h0, d1, span):
    # its second half: the first step (at most ``span``) from the rate f1 after the trial
    # step h0
    d2 = rms((f1 - f0) / scale) / h0
    if d1 <= 1e-15 and d2 <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** 0.2
    return min(100 * h0, h1, span)


@numba.njit(cache=True, error_model="numpy")
def inputs_at(p_ref, slope, t_ref, when, moving, ramping, out):
    # the inputs at ``when``: those at the segment's start moved along their ramps;
    # only the ``ramping`` slots listed first in ``moving`` move, and ``out`` holds
    # the others' values, copied at the segment's start
    if ramping == 0:
        return p_ref
    for n in range(ramping):
        k = moving[n]
        out[k] = p_ref[k] + slope[k] * (when - t_ref)
    return out


@numba.njit(cache=True, error_model="numpy")
def dense(y, h, K, theta, out):
    # Dormand-Prince's 4th-order interpolant at y + theta h (scipy's RkDenseOutput)
    for i in range(y.size):
        acc = 0.0
        power = theta
        for q in range(4):
            coefficient = 0.0
            for j in range(7):
                coefficient += K[j, i] * P[j, q]
            acc += coefficient * power
            power *= theta
        out[i] = y[i] + h * acc


@numba.njit(cache=True, error_model="numpy")
def apply(event, y, p_ref, slope, ramp_end, target, t, values, ramps, row_event,
          row_target, row_slot, row_mode):
    duration = ramps[event]
    for r in range(row_event.size):
        if row_event[r] != event:
            continue
        slot, value = row_slot[r], values[r]
        if row_target[r] == IN_Y:
            y[slot] = value if row_mode[r] == SET else y[slot] * value
            continue
        new = value if row_mode[r] == SET else p_ref[slot] * value
        if duration > 0:
            target[slot] = new
            slope[slot] = (new - p_ref[slot]) / duration
            ramp_end[slot] = t + duration
        else:
            p_ref[slot] = new
            slope[slot] = 0.0
            ramp_end[slot] = np.inf


@numba.njit(cache=True, error_model="numpy")
def one(rate, conditions, y0, p0, t0, t1, t_out, rtol, atol, bound, max_steps, patience,
        out, times, ramps, repeat, row_event, row_target, row_slot, row_mode, values, log_t,
        log_e, log_n):
    # work arrays are allocated once per member and updated in place
    n, n_p = y0.size, p0.size
    dated = times.size
    triggered = ramps.size - dated
    out[:, :] = np.nan  # rows after a stop stay NaN
    K = np.empty((7, n))
    y, y_new, stage, scale = y0.copy(), np.empty(n), np.empty(n), np.empty(n)
    p_ref, p_work = p0.copy(), p0.copy()  # p_work: the inputs along a ramp
    slope, target = np.zeros(n_p), np.zeros(n_p)
    ramp_end = np.full(n_p, np.inf)
    moving = np.empty(n_p, dtype=np.int64)
    taken = np.zeros(dated, dtype=np.bool_)
    armed = np.ones(triggered, dtype=np.int64)  # 1 armed, 0 waiting, -1 done
    g_old, g_new, g_try = np.empty(triggered), np.empty(triggered), np.empty(triggered)
    y_try = np.empty(n)
    t, t_ref = t0, t0
    fired = 0
    k_out = 0
    steps = 0
    # Hairer's stiffness test (DOPRI5): h |lambda| estimated from the last two stages,
    # both at t + h; once a member has taken ``patience`` steps, 15 accepted steps beyond
    # the stability boundary (3.25) make it stiff at once, instead of after the whole
    # step budget (a mildly stiff member that finishes in fewer steps stays explicit,
    # which is cheaper). Only without interventions, whose members the caller re-runs
    # with scipy rather than the implicit method.
    detect = dated == 0 and triggered == 0
    beyond, within = 0, 0
    while True:
        # --- at a segment's start: settle ramps, apply what is due, write outputs
        for s in range(n_p):
            if slope[s] != 0.0:
                if t >= ramp_end[s]:
                    p_ref[s], slope[s], ramp_end[s] = target[s], 0.0, np.inf
                else:
                    p_ref[s] += slope[s] * (t - t_ref)
        t_ref = t
        for d in range(dated):
            if not taken[d] and times[d] <= t:
                apply(d, y, p_ref, slope, ramp_end, target, t, values, ramps, row_event,
                      row_target, row_slot, row_mode)
                taken[d] = True
                if fired < log_t.size:
                    log_t[fired], log_e[fired] = t, d
                fired += 1
        ramping = 0
        end = t1
        for s in range(n_p):
            p_work[s] = p_ref[s]
            if slope[s] != 0.0:
                moving[ramping] = s
                ramping += 1
                end = min(end, ramp_end[s])
        for d in range(dated):
            if not taken[d]:
                end = min(end, times[d])
        log_n[0] = fired
        if fired > MAX_FIRED:
            return TOO_MANY
        while k_out < t_out.size and t_out[k_out] <= t:
            out[k_out, :] = y
            k_out += 1
        if t >= t1:
            return FINISHED
        p_now = inputs_at(p_ref, slope, t_ref, t, moving, ramping, p_work)
        if triggered:
            conditions(y, p_now, g_old)
            for k in range(triggered):
                if armed[k] == 0 and g_old[k] < 0:
                    armed[k] = 1
        # --- the initial step, as scipy's select_initial_step
        rate(y, p_now, K[0])
        h0, d1 = trial_step(y, K[0], rtol, atol, end - t, scale)
        for i in range(n):
            stage[i] = y[i] + h0 * K[0, i]
        rate(stage, inputs_at(p_ref, slope, t_ref, t + h0, moving, ramping, p_work), y_new)
        h = first_step(K[0], y_new, scale, h0, d1, end - t)
        rejected = False
        restart = False
        while t < end and not restart:
            if steps >= max_steps or h < 1e-14 * max(1.0, abs(t)):
                return STIFF
            h = min(h, end - t)
            for s in range(1, 6):
                for i in range(n):
                    acc = 0.0
                    for j in range(s):
                        acc += A[s, j] * K[j, i]
                    stage[i] = y[i] + h * acc
                rate(stage, inputs_at(p_ref, slope, t_ref, t + C[s] * h, moving,
                                      ramping, p_work), K[s])
            for i in range(n):
                acc = 0.0
                for j in range(6):
                    acc += B[j] * K[j, i]
                y_new[i] = y[i] + h * acc
            t_new = end if h == end - t else t + h
            p_new = inputs_at(p_ref, slope, t_ref, t_new, moving, ramping, p_work)
            rate(y_new, p_new, K[6])
            total = 0.0
            for i in range(n):
                err = 0.0
                for j in range(7):
                    err += E[j] * K[j, i]
                ratio = h * err / (atol + max(abs(y[i]), abs(y_new[i])) * rtol)
                total += ratio * ratio
            norm = np.sqrt(total / n)
            steps += 1
            if not np.isfinite(norm):
                h *= 0.2
                rejected = True
                continue
            if norm >= 1.0:
                h *= max(0.2, 0.9 * norm ** -0.2)
                rejected = True
                continue
            factor = 10.0 if norm == 0 else min(10.0, 0.9 * norm ** -0.2)
            if rejected:
                factor = min(1.0, factor)
            # --- a triggered intervention whose condition crossed in this step
            first, theta_first = -1, 2.0
            if triggered:
                conditions(y_new, p_new, g_new)
                for k in range(triggered):
                    if armed[k] == 1 and g_old[k] < 0 <= g_new[k]:
                        # Illinois false position on the dense output, to the
                        # first point where the condition holds
                        a, ga, b, gb = 0.0, g_old[k], 1.0, g_new[k]
                        side = 0
                        for _ in range(200):
                            if b - a <= 4e-16:
                                break
                            c = b - gb * (b - a) / (gb - ga)
                            if not (a < c < b):
                                c = 0.5 * (a + b)
                            dense(y, h, K, c, y_try)
                            conditions(y_try, inputs_at(p_ref, slope, t_ref, t + c * h,
                                                        moving, ramping, p_work), g_try)
                            if g_try[k] < 0:
                                a, ga = c, g_try[k]
                                if side == -1:
                                    gb *= 0.5
                                side = -1
                            else:
                                b, gb = c, g_try[k]
                                if side == 1:
                                    ga *= 0.5
                                side = 1
                        if b < theta_first:
                            first, theta_first = k, b
                    elif armed[k] == 0 and g_new[k] < 0:
                        armed[k] = 1
            if first >= 0:
                t_event = t + theta_first * h
                dense(y, h, K, theta_first, y_try)
                t_stop = t_event
            else:
                t_stop = t_new
            while k_out < t_out.size and t_out[k_out] < t_stop:
                dense(y, h, K, (t_out[k_out] - t) / h, out[k_out])
                k_out += 1
            if first >= 0:
                for i in range(n):
                    y[i] = y_try[i]
                for s in range(n_p):  # fold the ramps to the event's time
                    if slope[s] != 0.0:
                        p_ref[s] += slope[s] * (t_event - t_ref)
                t = t_ref = t_event
                event = dated + first
                if repeat[event]:
                    conditions(y, p_ref, g_try)
                    before = g_try[first]
                apply(event, y, p_ref, slope, ramp_end, target, t, values, ramps,
                      row_event, row_target, row_slot, row_mode)
                if repeat[event]:
                    conditions(y, p_ref, g_try)
                    armed[first] = 1 if (g_try[first] < 0 and g_try[first] != before) \
                        else 0
                else:
                    armed[first] = -1
                if fired < log_t.size:
                    log_t[fired], log_e[fired] = t, event
                fired += 1
                restart = True
                break
            if detect and steps >= patience:
                top, bottom = 0.0, 0.0
                for i in range(n):
                    top += (K[6, i] - K[5, i]) ** 2
                    bottom += (y_new[i] - stage[i]) ** 2
                if bottom > 0.0 and h * np.sqrt(top / bottom) > 3.25:
                    beyond, within = beyond + 1, 0
                    if beyond == 15:
                        return STIFF
                else:
                    within += 1
                    if within == 6:
                        beyond = 0
            finite, largest = True, 0.0
            for i in range(n):
                y[i] = y_new[i]
                K[0, i] = K[6, i]
                finite = finite and np.isfinite(y[i])
                largest = max(largest, abs(y[i]))
            for k in range(triggered):
                g_old[k] = g_new[k]
            t = t_new
            h *= factor
            rejected = False
            if not finite:
                return NONFINITE
            if largest > bound:
                return DIVERGED


@numba.njit(parallel=True, cache=True, error_model="numpy")
def many(rate, conditions, y0s, ps, t0, t1, t_out, rtol, atol, bounds, max_steps, patience,
         out, status, times, ramps, repeat, row_event, row_target, row_slot, row_mode, values,
         log_t, log_e, log_n):
    for i in numba.prange(y0s.shape[0]):
        status[i] = one(rate, conditions, y0s[i], ps[i], t0, t1, t_out, rtol, atol,
                        bounds[i], max_steps, patience, out[i], times[i], ramps[i], repeat,
                        row_event, row_target, row_slot, row_mode, values[i], log_t[i],
                        log_e[i], log_n[i:i + 1])


@numba.njit(cache=True, error_model="numpy")
def lane_dense(y, h, K, theta, lane, out, m, k):
    # ``dense`` for one lane of the side-by-side integrator (the same sums in the same
    # order), its values at ``i * LANES + lane``, written to ``out[m, k]`` element by
    # element: a view of ``out`` would update its shared reference count atomically,
    # which made two threads contend for one cache line at every output
    for i in range(out.shape[2]):
        acc = 0.0
        power = theta
        for q in range(4):
            coefficient = 0.0
            for j in range(7):
                coefficient += K[j, i * LANES + lane] * P[j, q]
            acc += coefficient * power
            power *= theta
        out[m, k, i] = y[i * LANES + lane] + h * acc


@numba.njit(cache=True, error_model="numpy")
def weighted(c, count, K, acc):
    # acc = sum_{j < count} c[j] K[j] over every variable and lane, accumulated stage by
    # stage from 0.0 (``one``'s order), in flat loops the compiler vectorises
    acc[:] = 0.0
    for j in range(count):
        c_j, k_j = c[j], K[j]
        for q in range(acc.size):
            acc[q] += c_j * k_j[q]


@numba.njit(cache=True, error_model="numpy")
def lane_sums(work, out):
    # out[lane] = the sum of work[i * LANES + lane] over the variables i, in their order
    out[:] = 0.0
    for i in range(work.size // LANES):
        for lane in range(LANES):
            out[lane] += work[i * LANES + lane]


@numba.njit(cache=True, error_model="numpy")
def lanes(rate, first, last, y0s, ps, t0, t1, t_out, rtol, atol, bounds, max_steps, patience,
          out, status):
    # Members first..last-1 integrated side by side, LANES at a time, each in a lane with
    # its own time, step and step control, exactly as ``one`` integrates a member without
    # interventions (the same operations in the same order, so the same numbers to the
    # last bit); a lane takes the next member as soon as its own ends. Every rate call
    # evaluates all lanes at once (``rate(b, LANES)``, vectorised across lanes): the
    # lanes' variables are the rows 0..n-1 of ``b`` (a row per variable, a column per
    # lane), the rates are written to rows n..2n-1, the inputs are the rows from 2n. A
    # step is the same six calls in every lane; a lane that starts a member spends the
    # first two on scipy's choice of the initial step; an idle lane's values are not read.
    # The sums over stages run over all variables and lanes at once (``weighted``); per
    # lane each is ``one``'s sum in ``one``'s order.
    W = LANES
    n, n_p = y0s.shape[1], ps.shape[1]
    size = n * W
    b = np.zeros((2 * n + n_p) * W)
    stage, result = b[:size], b[size:2 * size]  # the rate's arguments, flat
    K = np.zeros((7, size))  # K[j, i * W + lane]: stage j's rate of variable i in a lane
    y, y_new, acc, work = np.zeros(size), np.zeros(size), np.zeros(size), np.zeros(size)
    h_row = np.zeros(size)  # each lane's step, repeated for every variable
    keep = np.zeros(size, dtype=np.bool_)  # whether a lane's step was accepted, likewise
    scale = np.ones((W, n))  # each starting lane's scale of its variables
    column, f_start, f_trial = np.empty(n), np.empty(n), np.empty(n)
    member = np.full(W, -1, dtype=np.int64)
    phase = np.zeros(W, dtype=np.int64)
    stepping = np.zeros(W, dtype=np.bool_)
    rejected = np.zeros(W, dtype=np.bool_)
    accepted = np.zeros(W, dtype=np.bool_)
    finite = np.zeros(W, dtype=np.bool_)
    t, h, h0, d1 = np.zeros(W), np.zeros(W), np.ones(W), np.zeros(W)
    bottom, total, largest = np.zeros(W), np.zeros(W), np.zeros(W)
    steps, k_out = np.zeros(W, dtype=np.int64), np.zeros(W, dtype=np.int64)
    beyond, within = np.zeros(W, dtype=np.int64), np.zeros(W, dtype=np.int64)
    following = first
    while True:
        # --- a lane without a member takes the next one (and ends at once if t0 >= t1)
        busy, starting = 0, 0
        for lane in range(W):
            while phase[lane] == IDLE and following < last:
                m = following
                following += 1
                for k in range(t_out.size):  # rows after a stop stay NaN
                    for i in range(n):
                        out[m, k, i] = np.nan
                for i in range(n):
                    y[i * W + lane] = y0s[m, i]
                for k in range(n_p):
                    b[(2 * n + k) * W + lane] = ps[m, k]
                t[lane] = t0
                steps[lane], k_out[lane], beyond[lane], within[lane] = 0, 0, 0, 0
                rejected[lane] = False
                while k_out[lane] < t_out.size and t_out[k_out[lane]] <= t0:
                    for i in range(n):
                        out[m, k_out[lane], i] = y0s[m, i]
                    k_out[lane] += 1
                if t0 >= t1:
                    status[m] = FINISHED
                else:
                    member[lane], phase[lane] = m, STARTING
            busy += phase[lane] != IDLE
            starting += phase[lane] == STARTING
        if busy == 0:
            return
        for lane in range(W):
            stepping[lane] = phase[lane] == STEPPING
            if stepping[lane]:
                if steps[lane] >= max_steps or h[lane] < 1e-14 * max(1.0, abs(t[lane])):
                    status[member[lane]] = STIFF
                    phase[lane], stepping[lane] = IDLE, False
                else:
                    h[lane] = min(h[lane], t1 - t[lane])
        for i in range(n):
            for lane in range(W):
                h_row[i * W + lane] = h[lane]
        # --- the stages (a starting lane: its rate at the start, then after a trial step)
        for s in range(1, 6):
            weighted(A[s], s, K, acc)
            for q in range(size):
                stage[q] = y[q] + h_row[q] * acc[q]
            if starting and s <= 2:
                for lane in range(W):
                    if phase[lane] == STARTING:
                        for i in range(n):
                            q = i * W + lane
                            stage[q] = y[q] if s == 1 else y[q] + h0[lane] * K[0, q]
            rate(b, W)
            K[s, :] = result
            if not starting or s > 2:
                continue
            for lane in range(W):
                if phase[lane] != STARTING:
                    continue
                for i in range(n):  # the lane's values, contiguous
                    q = i * W + lane
                    if s == 1:
                        K[0, q] = K[1, q]  # the rate at the start
                    column[i], f_start[i], f_trial[i] = y[q], K[0, q], K[2, q]
                if s == 1:  # scipy's select_initial_step, as ``one``
                    h0[lane], d1[lane] = trial_step(column, f_start, rtol, atol, t1 - t[lane],
                                                    scale[lane])
                else:
                    h[lane] = first_step(f_start, f_trial, scale[lane], h0[lane], d1[lane],
                                         t1 - t[lane])
                    rejected[lane] = False
                    phase[lane] = STEPPING  # its first step in the next round
        weighted(B, 6, K, acc)
        for q in range(size):
            y_new[q] = y[q] + h_row[q] * acc[q]
            work[q] = (y_new[q] - stage[q]) ** 2  # against the 5th stage (stiffness test)
            stage[q] = y_new[q]
        lane_sums(work, bottom)
        rate(b, W)
        K[6, :] = result
        # --- the error of every lane's step
        weighted(E, 7, K, acc)
        for q in range(size):
            ratio = h_row[q] * acc[q] / (atol + max(abs(y[q]), abs(y_new[q])) * rtol)
            work[q] = ratio * ratio
        lane_sums(work, total)
        # --- each stepping lane: its step accepted or tried again
        for lane in range(W):
            accepted[lane] = False
            if not stepping[lane]:
                continue
            m, tl, hl = member[lane], t[lane], h[lane]
            norm = np.sqrt(total[lane] / n)
            steps[lane] += 1
            if not np.isfinite(norm):
                h[lane] = hl * 0.2
                rejected[lane] = True
                continue
            if norm >= 1.0:
                h[lane] = hl * max(0.2, 0.9 * norm ** -0.2)
                rejected[lane] = True
                continue
            factor = 10.0 if norm == 0 else min(10.0, 0.9 * norm ** -0.2)
            if rejected[lane]:
                factor = min(1.0, factor)
            t_new = t1 if hl == t1 - tl else tl + hl
            while k_out[lane] < t_out.size and t_out[k_out[lane]] < t_new:
                lane_dense(y, hl, K, (t_out[k_out[lane]] - tl) / hl, lane, out, m, k_out[lane])
                k_out[lane] += 1
            if steps[lane] >= patience:  # Hairer's stiffness test, as ``one``
                top = 0.0
                for i in range(n):
                    top += (K[6, i * W + lane] - K[5, i * W + lane]) ** 2
                if bottom[lane] > 0.0 and hl * np.sqrt(top / bottom[lane]) > 3.25:
                    beyond[lane], within[lane] = beyond[lane] + 1, 0
                    if beyond[lane] == 15:
                        status[m] = STIFF
                        phase[lane] = IDLE
                        continue
                else:
                    within[lane] += 1
                    if within[lane] == 6:
                        beyond[lane] = 0
            accepted[lane] = True
            t[lane] = t_new
            h[lane] = hl * factor
            rejected[lane] = False
        for i in range(n):
            for lane in range(W):
                keep[i * W + lane] = accepted[lane]
        for q in range(size):
            if keep[q]:
                y[q] = y_new[q]
                K[0, q] = K[6, q]
        for lane in range(W):
            finite[lane], largest[lane] = True, 0.0
        for i in range(n):
            for lane in range(W):
                value = y[i * W + lane]
                finite[lane] = finite[lane] and np.isfinite(value)
                largest[lane] = max(largest[lane], abs(value))
        for lane in range(W):
            if not accepted[lane]:
                continue
            m = member[lane]
            code = -1
            if not finite[lane]:
                code = NONFINITE
            elif largest[lane] > bounds[m]:
                code = DIVERGED
            elif t[lane] >= t1:
                while k_out[lane] < t_out.size and t_out[k_out[lane]] <= t[lane]:
                    for i in range(n):
                        out[m, k_out[lane], i] = y[i * W + lane]
                    k_out[lane] += 1
                code = FINISHED
            if code >= 0:
                status[m] = code
                phase[lane] = IDLE


@numba.njit(parallel=True, cache=True, error_model="numpy")
def many_lanes(rate, y0s, ps, t0, t1, t_out, rtol, atol, bounds, max_steps, patience, out,
               status, task):
    # ``lanes`` over tasks of ``task`` members taken by threads as they free up
    members = y0s.shape[0]
    for k in numba.prange((members + task - 1) // task):
        lanes(rate, k * task, min(members, (k + 1) * task), y0s, ps, t0, t1, t_out, rtol,
              atol, bounds, max_steps, patience, out, status)


@numba.njit(cache=True, error_model="numpy")
def lu_factor(a, pivot):
    # LU factorisation with partial pivoting in place (a = P L U); False where a is
    # singular or not finite (numpy's inverse would raise inside the threads)
    n = a.shape[0]
    for k in range(n):
        best, row = 0.0, k
        for i in range(k, n):
            if abs(a[i, k]) > best:
                best, row = abs(a[i, k]), i
        if not (best > 0.0 and np.isfinite(best)):
            return False
        pivot[k] = row
        if row != k:
            for j in range(n):
                a[k, j], a[row, j] = a[row, j], a[k, j]
        for i in range(k + 1, n):
            a[i, k] /= a[k, k]
            factor_ = a[i, k]
            if factor_ != 0.0:
                for j in range(k + 1, n):
                    a[i, j] -= factor_ * a[k, j]
    return True


@numba.njit(cache=True, error_model="numpy")
def lu_solve(a, pivot, b, x):
    # x = a^-1 b from the factors of ``lu_factor``
    n = a.shape[0]
    for i in range(n):
        x[i] = b[i]
    for k in range(n):
        row = pivot[k]
        if row != k:
            x[k], x[row] = x[row], x[k]
    for i in range(n):
        acc = x[i]
        for j in range(i):
            acc -= a[i, j] * x[j]
        x[i] = acc
    for i in range(n - 1, -1, -1):
        acc = x[i]
        for j in range(i + 1, n):
            acc -= a[i, j] * x[j]
        x[i] = acc / a[i, i]


@numba.njit(cache=True, error_model="numpy")
def implicit_one(rate, jvp, y0, p, t0, t1, t_out, rtol, atol, bound, max_steps, out):
    # Shampine's (1982) four-stage Rosenbrock method of order 4 with an embedded order-3
    # estimate, in Kaps and Rentrop's form: (1/(gamma h) - J) g_i = f(y + sum a_ij g_j)
    # + sum c_ij g_j / h, y_new = y + sum b_i g_i; three evaluations of the rate, one
    # Jacobian and one factorisation per step. Steps end on the output times (an
    # interpolant between its long steps lost two digits). The Jacobian's columns are
    # exact directional derivatives of the rate (``jvp``).
    n = y0.size
    gamma = 0.5
    a21, a31, a32 = 2.0, 48.0 / 25.0, 6.0 / 25.0
    c21, c31, c32 = -8.0, 372.0 / 25.0, 12.0 / 5.0
    c41, c42, c43 = -112.0 / 125.0, -54.0 / 125.0, -2.0 / 5.0
    b1, b2, b3, b4 = 19.0 / 9.0, 0.5, 25.0 / 108.0, 125.0 / 108.0
    e1, e2, e3, e4 = 17.0 / 54.0, 7.0 / 36.0, 0.0, 125.0 / 108.0
    out[:, :] = np.nan
    y, y_new, stage = y0.copy(), np.empty(n), np.empty(n)
    f0, f_stage, f_new, rhs = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    J, W = np.empty((n, n)), np.empty((n, n))
    unit, column = np.zeros(n), np.empty(n)
    g1, g2, g3, g4 = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
    pivot = np.empty(n, dtype=np.int64)
    t = t0
    k_out = 0
    while k_out < t_out.size and t_out[k_out] <= t:
        out[k_out, :] = y
        k_out += 1
    rate(y, p, f0)
    h, _ = trial_step(y, f0, rtol, atol, t1 - t, np.empty(n))
    steps = 0
    fresh = False  # whether J is the Jacobian at y
    while t < t1:
        if steps >= max_steps or h < 1e-14 * max(1.0, abs(t)):
            return STIFF
        h = min(h, t1 - t)
        wanted = h  # the controller's step, before it is cut at an output time
        if k_out < t_out.size and t_out[k_out] < t + h:
            h = t_out[k_out] - t
        if not fresh:
            for j in range(n):
                unit[j] = 1.0
                jvp(y, p, unit, column)
                unit[j] = 0.0
                J[:, j] = column
            fresh = True
        for i in range(n):
            for j in range(n):
                W[i, j] = -J[i, j]
            W[i, i] += 1.0 / (gamma * h)
        if not lu_factor(W, pivot):
            h *= 0.5  # singular or not finite: a smaller step, or the budget ends it
            fresh = False
            steps += 1
            continue
        lu_solve(W, pivot, f0, g1)
        for i in range(n):
            stage[i] = y[i] + a21 * g1[i]
        rate(stage, p, f_stage)
        for i in range(n):
            rhs[i] = f_stage[i] + c21 * g1[i] / h
        lu_solve(W, pivot, rhs, g2)
        for i in range(n):
            stage[i] = y[i] + a31 * g1[i] + a32 * g2[i]
        rate(stage, p, f_stage)
        for i in range(n):
            rhs[i] = f_stage[i] + (c31 * g1[i] + c32 * g2[i]) / h
        lu_solve(W, pivot, rhs, g3)
        for i in range(n):
            rhs[i] = f_stage[i] + (c41 * g1[i] + c42 * g2[i] + c43 * g3[i]) / h
        lu_solve(W, pivot, rhs, g4)
        total = 0.0
        for i in range(n):
            y_new[i] = y[i] + b1 * g1[i] + b2 * g2[i] + b3 * g3[i] + b4 * g4[i]
            err = e1 * g1[i] + e2 * g2[i] + e3 * g3[i] + e4 * g4[i]
            ratio = err / (atol + max(abs(y[i]), abs(y_new[i])) * rtol)
            total += ratio * ratio
        norm = np.sqrt(total / n)
        steps += 1
        if not np.isfinite(norm):
            h *= 0.2
            continue
        if norm > 1.0:
            h *= max(0.2, 0.9 * norm ** (-1.0 / 3.0))
            continue
        rate(y_new, p, f_new)
        t_new = t1 if h == t1 - t else t + h
        if k_out < t_out.size and h < wanted:  # this step ended on an output time
            t_new = t_out[k_out]
        finite, largest = True, 0.0
        for i in range(n):
            y[i] = y_new[i]
            f0[i] = f_new[i]
            finite = finite and np.isfinite(y[i])
            largest = max(largest, abs(y[i]))
        t = t_new
        fresh = False
        while k_out < t_out.size and t_out[k_out] <= t:
            out[k_out, :] = y
            k_out += 1
        if not finite:
            return NONFINITE
        if largest > bound:
            return DIVERGED
        factor = 4.0 if norm == 0 else min(4.0, 0.9 * norm ** -0.25)
        h = wanted if h < wanted else h * factor  # after a cut step, the step wanted
    while k_out < t_out.size and t_out[k_out] <= t:
        out[k_out, :] = y
        k_out += 1
    return FINISHED


@numba.njit(parallel=True, cache=True, error_model="numpy")
def implicit_many(rate, jvp, y0s, ps, t0, t1, t_out, rtol, atol, bounds, max_steps, out,
                  status):
    for i in numba.prange(y0s.shape[0]):
        status[i] = implicit_one(rate, jvp, y0s[i], ps[i], t0, t1, t_out, rtol, atol, bounds[i],
                                 max_steps, out[i])
