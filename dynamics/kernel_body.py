"""The body of the compiled ensemble kernel (:mod:`dynamics.kernel`), as source text.

This file is never imported. :mod:`dynamics.kernel` appends it to each model's generated
scalar code (``rate_into`` and ``conditions``) and writes the whole as a module in the
compiled-code cache, so that numba's own on-disk cache (``cache=True``) holds the compiled
kernel and a second process pays no compilation. Names it uses that are defined there:
``rate``, ``jvp`` and ``conditions`` (the model's, compiled), the Dormand-Prince tableau ``A``,
``B``, ``E``, ``P``, ``C`` (scipy's RK45), ``max_fired``, the status codes and the
intervention codes ``IN_Y`` and ``SET``.
"""
# ruff: noqa: F821
# mypy: ignore-errors

import numba
import numpy as np


@numba.njit(cache=True, error_model="numpy")
def rms(x):
    return np.sqrt(np.mean(x * x))


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
def one(y0, p0, t0, t1, t_out, rtol, atol, bound, max_steps, out, times, ramps,
        repeat, row_event, row_target, row_slot, row_mode, values, log_t, log_e,
        log_n):
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
        if fired > max_fired:
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
        for i in range(n):
            scale[i] = atol + abs(y[i]) * rtol
        d0, d1 = rms(y / scale), rms(K[0] / scale)
        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        h0 = min(h0, end - t)
        for i in range(n):
            stage[i] = y[i] + h0 * K[0, i]
        rate(stage, inputs_at(p_ref, slope, t_ref, t + h0, moving, ramping, p_work), y_new)
        d2 = rms((y_new - K[0]) / scale) / h0
        if d1 <= 1e-15 and d2 <= 1e-15:
            h1 = max(1e-6, h0 * 1e-3)
        else:
            h1 = (0.01 / max(d1, d2)) ** 0.2
        h = min(100 * h0, h1, end - t)
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
def many(y0s, ps, t0, t1, t_out, rtol, atol, bounds, max_steps, out, status, times,
         ramps, repeat, row_event, row_target, row_slot, row_mode, values, log_t, log_e,
         log_n):
    for i in numba.prange(y0s.shape[0]):
        status[i] = one(y0s[i], ps[i], t0, t1, t_out, rtol, atol, bounds[i], max_steps,
                        out[i], times[i], ramps[i], repeat, row_event, row_target,
                        row_slot, row_mode, values[i], log_t[i], log_e[i],
                        log_n[i:i + 1])



@numba.njit(cache=True, error_model="numpy")
def implicit_one(y0, p, t0, t1, t_out, rtol, atol, bound, max_steps, out):
    # Shampine and Reichelt's Rosenbrock pair (MATLAB's ode23s): L-stable, order 2
    # with a 3rd-order error estimate, one Jacobian and one factorisation of
    # W = I - h d J per step, continuous extension for the outputs. The Jacobian's
    # columns are exact directional derivatives of the rate (``jvp``).
    n = y0.size
    d = 1.0 / (2.0 + np.sqrt(2.0))
    e32 = 6.0 + np.sqrt(2.0)
    out[:, :] = np.nan
    y, y_new, stage = y0.copy(), np.empty(n), np.empty(n)
    F0, F1, F2 = np.empty(n), np.empty(n), np.empty(n)
    J, W = np.empty((n, n)), np.empty((n, n))
    unit, column = np.zeros(n), np.empty(n)
    t = t0
    k_out = 0
    while k_out < t_out.size and t_out[k_out] <= t:
        out[k_out, :] = y
        k_out += 1
    rate(y, p, F0)
    scale = atol + np.abs(y) * rtol
    d0, d1 = rms(y / scale), rms(F0 / scale)
    h = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
    h = min(h, t1 - t)
    steps = 0
    fresh = False  # whether J is the Jacobian at y
    while t < t1:
        if steps >= max_steps or h < 1e-14 * max(1.0, abs(t)):
            return STIFF
        h = min(h, t1 - t)
        if not fresh:
            for j in range(n):
                unit[j] = 1.0
                jvp(y, p, unit, column)
                unit[j] = 0.0
                J[:, j] = column
            fresh = True
        for i in range(n):
            for j in range(n):
                W[i, j] = (1.0 if i == j else 0.0) - h * d * J[i, j]
        inverse = np.linalg.inv(W)
        k1 = inverse @ F0
        for i in range(n):
            stage[i] = y[i] + 0.5 * h * k1[i]
        rate(stage, p, F1)
        k2 = inverse @ (F1 - k1) + k1
        for i in range(n):
            y_new[i] = y[i] + h * k2[i]
        rate(y_new, p, F2)
        k3 = inverse @ (F2 - e32 * (k2 - F1) - 2.0 * (k1 - F0))
        total = 0.0
        for i in range(n):
            err = h / 6.0 * (k1[i] - 2.0 * k2[i] + k3[i])
            ratio = err / (atol + max(abs(y[i]), abs(y_new[i])) * rtol)
            total += ratio * ratio
        norm = np.sqrt(total / n)
        steps += 1
        if not np.isfinite(norm):
            h *= 0.2
            continue
        if norm > 1.0:
            h *= max(0.2, 0.8 * norm ** (-1.0 / 3.0))
            continue
        t_new = t1 if h == t1 - t else t + h
        while k_out < t_out.size and t_out[k_out] < t_new:
            s = (t_out[k_out] - t) / h
            a, b = s * (1.0 - s) / (1.0 - 2.0 * d), s * (s - 2.0 * d) / (1.0 - 2.0 * d)
            for i in range(n):
                out[k_out, i] = y[i] + h * (a * k1[i] + b * k2[i])
            k_out += 1
        finite, largest = True, 0.0
        for i in range(n):
            y[i] = y_new[i]
            F0[i] = F2[i]
            finite = finite and np.isfinite(y[i])
            largest = max(largest, abs(y[i]))
        t = t_new
        fresh = False
        if not finite:
            return NONFINITE
        if largest > bound:
            return DIVERGED
        h *= 5.0 if norm == 0 else min(5.0, 0.8 * norm ** (-1.0 / 3.0))
    while k_out < t_out.size and t_out[k_out] <= t:
        out[k_out, :] = y
        k_out += 1
    return FINISHED


@numba.njit(parallel=True, cache=True, error_model="numpy")
def implicit_many(y0s, ps, t0, t1, t_out, rtol, atol, bounds, max_steps, out, status):
    for i in numba.prange(y0s.shape[0]):
        status[i] = implicit_one(y0s[i], ps[i], t0, t1, t_out, rtol, atol, bounds[i],
                                 max_steps, out[i])
