/* gd-explorers.js: the web twins of the course's explorers (explorers/ in the repository).
 *
 * One implementation serves the HTML book (a classic script after d3.min.js: it mounts every
 * <div class="gd-explorer"> on the page) and JupyterLab (explorers/twin.py wraps it, with d3, into the
 * ES module of an anywidget). Each explorer is a small pure model of the maths (the same operations, in
 * the same order, as gdcore's kernels in gdcore/explore_core.py, fed with the data and random numbers
 * that Python embeds in the config) and a view drawn with D3. tests/test_web_explorers.py checks the
 * models against gdcore over a grid of slider values, and the headlines against explorers/reference.py.
 */
(function (root, factory) {
  if (typeof module === "object" && module && module.exports) {
    module.exports = factory;                                   // explorers/twin.py: factory(d3)
  } else {
    const api = factory(root.d3);
    root.GDExplorers = api;
    const start = () => api.mountAll(document);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
    else start();
  }
})(typeof globalThis !== "undefined" ? globalThis : this, function (d3) {
  "use strict";

  // ------------------------------------------------------------------------------------------------
  // Python's number formatting (format specs .Nf .Ne .Ng and repr), so that headlines match Python's.
  // Digits come from the exact decimal expansion of the double (toExponential(100)); ties round half
  // to even, as CPython does, where JavaScript's toFixed would round them up.
  function expansion(x) {                       // x > 0 finite -> {d: 101 digits, e: exponent}
    const s = x.toExponential(100);
    const k = s.indexOf("e");
    return { d: s[0] + s.slice(2, k), e: parseInt(s.slice(k + 1), 10) };
  }
  function roundDigits(d, keep) {               // keep >= 0 leading digits, half to even -> {d, carry}
    const rest = d.slice(keep);
    let up = false;
    if (rest.length && rest[0] > "5") up = true;
    else if (rest.length && rest[0] === "5") {
      up = /[1-9]/.test(rest.slice(1)) || (keep > 0 && (+d[keep - 1]) % 2 === 1);
    }
    let head = d.slice(0, keep).split("");
    if (!up) return { d: head.join(""), carry: false };
    let i = head.length - 1;
    while (i >= 0 && head[i] === "9") { head[i] = "0"; i--; }
    if (i < 0) return { d: "1" + head.join(""), carry: true };
    head[i] = String(+head[i] + 1);
    return { d: head.join(""), carry: false };
  }
  function sig(x, p) {                          // p significant digits -> {d (length p), e}
    const { d, e } = expansion(x);
    const r = roundDigits(d, p);
    return r.carry ? { d: r.d.slice(0, p), e: e + 1 } : { d: r.d, e };
  }
  function fixedDigits(x, f) {                  // x rounded to f decimals, as an integer digit string
    const { d, e } = expansion(x);
    const keep = e + 1 + f;
    if (keep < 0) return "0";
    if (keep > 100) return BigInt(Math.round(x)).toString() + "0".repeat(f);   // not reached by the explorers
    const r = roundDigits(d, keep);
    return r.d === "" ? "0" : r.d;
  }
  function expStr(e) {
    return (e < 0 ? "-" : "+") + String(Math.abs(e)).padStart(2, "0");
  }
  function fmtF(ax, f) {
    let n = ax === 0 ? "0" : fixedDigits(ax, f);
    n = n.padStart(f + 1, "0");
    return f ? n.slice(0, n.length - f) + "." + n.slice(n.length - f) : n;
  }
  function fmtE(ax, p) {
    if (ax === 0) return (p ? "0." + "0".repeat(p) : "0") + "e+00";
    const { d, e } = sig(ax, p + 1);
    return d[0] + (p ? "." + d.slice(1) : "") + "e" + expStr(e);
  }
  function fmtG(ax, P) {
    P = P || 1;
    if (ax === 0) return "0";
    const { d, e } = sig(ax, P);
    const strip = (s) => (s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s);
    if (e >= -4 && e < P) {
      let s;
      if (e >= 0) s = d.slice(0, e + 1) + "." + d.slice(e + 1);
      else s = "0." + "0".repeat(-e - 1) + d;
      return strip(s);
    }
    return strip(d[0] + "." + d.slice(1)) + "e" + expStr(e);
  }
  /** format(x, ".2f") as Python's f"{x:.2f}" (also e and g); ints and strings as str(x). */
  function pyfmt(x, spec) {
    if (typeof x === "string") return x;
    const m = /^\.(\d+)([efg])$/.exec(spec || "");
    if (!m) return Number.isInteger(x) ? String(x) : pyrepr(x);
    if (Number.isNaN(x)) return "nan";
    const neg = x < 0 || Object.is(x, -0);
    const ax = Math.abs(x);
    if (ax === Infinity) return (neg ? "-" : "") + "inf";
    const p = +m[1];
    const body = m[2] === "f" ? fmtF(ax, p) : m[2] === "e" ? fmtE(ax, p) : fmtG(ax, p);
    return (neg ? "-" : "") + body;
  }
  /** repr(x) of a Python float: the shortest round-trip digits, in Python's layout. */
  function pyrepr(x) {
    if (Number.isNaN(x)) return "nan";
    if (x === Infinity) return "inf";
    if (x === -Infinity) return "-inf";
    const neg = x < 0 || Object.is(x, -0);
    const ax = Math.abs(x);
    if (ax === 0) return neg ? "-0.0" : "0.0";
    const s = ax.toExponential();                  // shortest digits that round-trip
    const k = s.indexOf("e");
    const d = s[0] + (k > 1 ? s.slice(2, k) : "");
    const e = parseInt(s.slice(k + 1), 10);
    let out;
    if (e >= -4 && e < 16) {
      if (e >= 0) {
        const ip = d.slice(0, e + 1).padEnd(e + 1, "0");
        const fp = d.slice(e + 1);
        out = ip + "." + (fp || "0");
      } else {
        out = "0." + "0".repeat(-e - 1) + d;
      }
    } else {
      out = d[0] + (d.length > 1 ? "." + d.slice(1) : "") + "e" + expStr(e);
    }
    return (neg ? "-" : "") + out;
  }
  /** Python's str() of a slider value: ints as ints, floats as repr. */
  function pystr(x, kind) {
    return kind === "float" ? pyrepr(x) : String(x);
  }

  // ------------------------------------------------------------------------------------------------
  // NumPy's summation order (pairwise, 8 accumulators), so sums of many terms agree to the last bits.
  function pairwiseSum(a, start, n, stride) {
    stride = stride || 1;
    if (n < 8) {
      let s = -0.0;                                 // NumPy starts from -0.0
      for (let i = 0; i < n; i++) s += a[start + i * stride];
      return s;
    }
    if (n <= 128) {
      const r = new Float64Array(8);
      for (let j = 0; j < 8; j++) r[j] = a[start + j * stride];
      let i = 8;
      for (; i < n - (n % 8); i += 8) {
        for (let j = 0; j < 8; j++) r[j] += a[start + (i + j) * stride];
      }
      let s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
      for (; i < n; i++) s += a[start + i * stride];
      return s;
    }
    let n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return pairwiseSum(a, start, n2, stride) + pairwiseSum(a, start + n2 * stride, n - n2, stride);
  }
  const mean = (a) => pairwiseSum(a, 0, a.length) / a.length;

  // ------------------------------------------------------------------------------------------------
  // Models: gdcore's kernels, step for step. Each returns plain numbers and typed arrays.

  // learning rate: gdcore.explore_core.quadratic_path and regime
  function lrModel(cfg, p) {
    const [[r00, r01], [r10, r11]] = cfg.R;          // columns: eigenvectors for L and mu
    const L = cfg.L, mu = L / p.kappa, [s0, s1] = cfg.x_star, K = cfg.steps;
    const d0 = p.x0 - s0, d1 = p.y0 - s1;
    const c0 = r00 * d0 + r10 * d1, c1 = r01 * d0 + r11 * d1;    // R^T (x0 - x*)
    const f0 = 1.0 - p.lr * L, f1 = 1.0 - p.lr * mu;
    const path = new Float64Array(2 * (K + 1)), loss = new Float64Array(K + 1);
    for (let k = 0; k <= K; k++) {
      const z0 = c0 * Math.pow(f0, k), z1 = c1 * Math.pow(f1, k);
      const f = 0.5 * ((L * z0) * z0 + (mu * z1) * z1);
      loss[k] = Number.isFinite(f) ? f : Infinity;
      path[2 * k] = z0 * r00 + z1 * r01 + s0;
      path[2 * k + 1] = z0 * r10 + z1 * r11 + s1;
    }
    const rho = p.lr * Math.max(L, mu);
    const label = rho <= 1.0 ? "converges" : rho < 2.0 ? "oscillates" : "diverges";
    const n = p.steps + 1;
    return { path: path.subarray(0, 2 * n), loss: loss.subarray(0, n), label, rho, mu };
  }
  function lrHeadline(p, r) {
    const rho = r.rho;
    let verdict = { converges: "converges", oscillates: "oscillates but converges", diverges: "diverges" }[r.label];
    if (rho === 2.0) verdict = "bounces forever (ηλ_max = 2)";
    const rel = rho < 2 ? "<" : rho === 2 ? "=" : ">";
    return `η = ${pyfmt(p.lr, ".2f")}, κ = ${pyfmt(p.kappa, ".3g")}:  η·λ_max = ${pyfmt(rho, ".2f")} ${rel} 2  →  ${verdict}`;
  }

  // linear-regression SGD: gdcore.explore_core.linear_sgd + linear_loss (sampling "reshuffle", from zero)
  function linearSGD(data, lr, B, epochs) {
    const X = data.X, y = data.y, n = y.length;
    const full = B >= n;
    const perEpoch = Math.ceil(n / B), T = perEpoch * epochs;
    const W = new Float64Array(2 * (T + 1)), b = new Float64Array(T + 1), ex = new Float64Array(T + 1);
    const r = new Float64Array(n), o = new Int32Array(n);
    let w0 = 0, w1 = 0, bb = 0, t = 0, seen = 0;
    for (let e = 0; e < epochs; e++) {
      const order = full ? null : data.perms[e];
      for (let i = 0; i < n; i++) o[i] = full ? i : order[i];
      for (let s = 0; s < n; s += B) {
        const m = Math.min(B, n - s);
        let g0 = 0, g1 = 0;
        for (let i = 0; i < m; i++) {
          const xi = X[o[s + i]];
          r[i] = (xi[0] * w0 + xi[1] * w1) + bb - y[o[s + i]];
        }
        for (let i = 0; i < m; i++) {
          const xi = X[o[s + i]];
          g0 += xi[0] * r[i];
          g1 += xi[1] * r[i];
        }
        const rs = pairwiseSum(r, 0, m);
        const lrt = typeof lr === "number" ? lr : lr[t];
        w0 = w0 - (lrt * g0) / m;
        w1 = w1 - (lrt * g1) / m;
        bb = bb - (lrt * rs) / m;
        t += 1;
        seen += m;
        W[2 * t] = w0; W[2 * t + 1] = w1; b[t] = bb; ex[t] = seen;
      }
    }
    return { W, b, examples: ex, T };
  }
  function linearLoss(data, run) {
    const X = data.X, y = data.y, n = y.length, T1 = run.b.length;
    const R = new Float64Array(n), J = new Float64Array(T1);
    for (let t = 0; t < T1; t++) {
      const w0 = run.W[2 * t], w1 = run.W[2 * t + 1], bb = run.b[t];
      for (let i = 0; i < n; i++) {
        const v = (w0 * X[i][0] + w1 * X[i][1]) + bb - y[i];
        R[i] = v * v;
      }
      J[t] = 0.5 * (pairwiseSum(R, 0, n) / n);
    }
    return J;
  }
  function linearRun(data, lr, B, epochs, clip) {
    const run = linearSGD(data, lr, B, epochs);
    const loss = linearLoss(data, run);
    const excess = new Float64Array(loss.length);
    for (let t = 0; t < loss.length; t++) {
      const v = loss[t] - data.floor;
      excess[t] = clip === null ? v : Math.max(v, clip);
    }
    return { examples: run.examples, w: run.W, b: run.b, loss, excess };
  }

  // batch size
  function bsModel(cfg, p, cache) {
    const get = (B) => memo(cache, `${p.lr}|${B}`, () => linearRun(cfg, p.lr, B, cfg.epochs, 1e-12));
    const n = cfg.y.length;
    const runs = { full: get(n), mini: get(p.batch_size), sgd: get(1) };
    const last = {};
    for (const k of ["full", "mini", "sgd"]) {
      const { examples, excess } = runs[k];
      const sel = [];
      for (let t = 0; t < excess.length; t++) if (examples[t] > (cfg.epochs - 1) * n) sel.push(excess[t]);
      last[k] = mean(sel);
    }
    return { runs, last };
  }
  function bsHeadline(p, r, cfg) {
    return `B = ${p.batch_size}, η = ${pyfmt(p.lr, ".3g")}, equal compute: ${cfg.epochs} epochs each\n` +
      "last-epoch mean excess loss (full / mini / per-sample): " +
      ["full", "mini", "sgd"].map((k) => pyfmt(r.last[k], ".1e")).join(" / ");
  }

  // schedules: gdcore.schedules and explore_core.make_schedule / schedule_run
  function makeSchedule(cfg, p) {
    const lr0 = p.lr0, T = cfg.T, f = pystr;
    switch (p.name) {
      case "constant":
        return { repr: `constant(lr0=${f(lr0, "float")})`, rate: () => lr0 + 0.0 };
      case "step_decay":
        return { repr: `step_decay(lr0=${f(lr0, "float")}, factor=${f(p.factor, "float")}, every=${p.every})`,
          rate: (t) => lr0 * Math.pow(p.factor, Math.floor(t / p.every)) };
      case "exponential":
        return { repr: `exponential(lr0=${f(lr0, "float")}, gamma=${f(p.gamma, "float")})`,
          rate: (t) => lr0 * Math.pow(p.gamma, t) };
      case "inverse_time":
        return { repr: `inverse_time(lr0=${f(lr0, "float")}, decay=${f(p.decay, "float")})`,
          rate: (t) => lr0 / (1.0 + p.decay * t) };
      case "cosine": {
        const lmin = Math.min(p.lr_min, lr0);
        return { repr: `cosine(lr0=${f(lr0, "float")}, total_steps=${T}, lr_min=${f(lmin, "float")})`,
          rate: (t) => lmin + 0.5 * (lr0 - lmin) * (1.0 + Math.cos(Math.PI * (Math.min(t, T) / T))) };
      }
      case "warmup": {
        const W = p.warmup_steps;
        return { repr: `warmup(schedule=constant(lr0=${f(lr0, "float")}), warmup_steps=${W})`,
          rate: (t) => (t < W ? (lr0 * (t + 1.0)) / W : lr0 + 0.0) };
      }
      default:
        throw new Error(`unknown schedule ${p.name}`);
    }
  }
  function schRun(cfg, sched) {
    const lrs = new Float64Array(cfg.T);
    for (let t = 0; t < cfg.T; t++) lrs[t] = sched.rate(t);
    const run = linearRun(cfg, lrs, 1, cfg.epochs, null);
    const excess = run.excess;
    const k = Math.max(1, Math.trunc(cfg.tail * cfg.T));
    const last = excess.subarray(excess.length - k);
    const m = mean(last);
    const sq = new Float64Array(k);
    for (let i = 0; i < k; i++) { const dv = last[i] - m; sq[i] = dv * dv; }
    return { lrs, excess, final: m, noise: Math.sqrt(pairwiseSum(sq, 0, k) / k) };
  }
  function schModel(cfg, p, cache) {
    const sched = makeSchedule(cfg, p);
    const run = memo(cache, sched.repr, () => schRun(cfg, sched));
    const constant = makeSchedule(cfg, { name: "constant", lr0: p.lr0 });
    return { schedule: sched.repr, run, const: memo(cache, constant.repr, () => schRun(cfg, constant)) };
  }
  function schHeadline(p, r, cfg) {
    const s = r.run, c = r.const;
    const shown = (run) => (run.noise > cfg.resolution * (run.final + cfg.floor) ? run.noise : 0.0);  // else rounding
    return `${r.schedule}\nlast 20% of steps: error ${pyfmt(s.final, ".1e")} ± ${pyfmt(shown(s), ".1e")}  ` +
      `vs constant η₀: ${pyfmt(c.final, ".1e")} ± ${pyfmt(shown(c), ".1e")}`;
  }

  // momentum: gdcore.explore_core.run_2d with bowl_fun / rosenbrock_fun
  function bowlFun(cfg) {
    const [[a, b_], [, c]] = cfg.A, [sx, sy] = cfg.x_star;
    return (x, y) => {
      const rx = x - sx, ry = y - sy;
      const gx = a * rx + b_ * ry, gy = b_ * rx + c * ry;
      return [0.5 * (rx * gx + ry * gy), gx, gy];
    };
  }
  function rosenbrockFun(cfg) {
    const a = cfg.a, b = cfg.b;
    return (x, y) => {
      const s = y - x * x;
      return [Math.pow(a - x, 2) + b * s * s, -2 * (a - x) - 4 * b * x * s, 2 * b * s];
    };
  }
  function run2d(fun, x0, method, lr, beta, steps, divergeAt) {
    const beta2 = 0.999, eps = 1e-8;
    let x = x0[0], y = x0[1];
    let [f, gx, gy] = fun(x, y);
    const limit = divergeAt * Math.max(Math.abs(f), 1e-12);
    const px = [x], py = [y], fs = [f];
    let bx = 0, by = 0, mx = 0, my = 0, vx = 0, vy = 0, diverged = false;
    for (let t = 1; t <= steps; t++) {
      let dx, dy;
      if (method === "GD") {
        dx = gx; dy = gy;
      } else if (method === "Adam") {
        mx = beta * mx + (1 - beta) * gx;
        my = beta * my + (1 - beta) * gy;
        vx = beta2 * vx + (1 - beta2) * gx * gx;
        vy = beta2 * vy + (1 - beta2) * gy * gy;
        const c1 = 1 - Math.pow(beta, t), c2 = 1 - Math.pow(beta2, t);
        dx = (mx / c1) / (Math.sqrt(vx / c2) + eps);
        dy = (my / c1) / (Math.sqrt(vy / c2) + eps);
      } else {
        if (t === 1) { bx = gx; by = gy; } else { bx = beta * bx + gx; by = beta * by + gy; }
        if (method === "Nesterov") { dx = gx + beta * bx; dy = gy + beta * by; } else { dx = bx; dy = by; }
      }
      x = x - lr * dx;
      y = y - lr * dy;
      [f, gx, gy] = fun(x, y);
      if (!Number.isFinite(f) || f > limit) { diverged = true; break; }
      px.push(x); py.push(y); fs.push(f);
    }
    return { px, py, loss: fs, diverged };
  }
  function momModel(cfg, p, cache) {
    const funs = memo(cache, "funs", () => ({ bowl: bowlFun(cfg), rosenbrock: rosenbrockFun(cfg) }));
    const out = {};
    for (const prob of ["bowl", "rosenbrock"]) {
      out[prob] = {};
      for (const m of cfg.methods) {
        const lr = m === "Adam" ? p.adam_lr : p.lr;
        out[prob][m] = memo(cache, `${prob}|${m}|${lr}|${p.beta}`,
          () => run2d(funs[prob], cfg.starts[prob], m, lr, p.beta, cfg.steps, cfg.diverge_at));
      }
    }
    return out;
  }
  function momHeadline(p, r, cfg) {
    const gone = [];
    for (const prob of ["bowl", "rosenbrock"]) {
      for (const m of Object.keys(r[prob])) if (r[prob][m].diverged) gone.push(`${m} on the ${prob}`);
    }
    const b = p.beta, rho = p.lr * cfg.L;
    return `η = ${pyfmt(p.lr, ".2e")}, β = ${pyfmt(b, ".2f")}, Adam η = ${pyfmt(p.adam_lr, ".3f")};  ` +
      `bowl: η·λ_max = ${pyfmt(rho, ".2f")}\n` +
      `stable on the bowl iff η·λ_max < 2 (GD), < 2+2β = ${pyfmt(2 + 2 * b, ".2f")} (momentum), ` +
      `< (2+2β)/(1+2β) = ${pyfmt((2 + 2 * b) / (1 + 2 * b), ".2f")} (Nesterov)\n` +
      `diverged (run stopped): ${gone.length ? gone.join(", ") : "none"}`;
  }

  // XOR: gdcore.models.mlp.init (normals embedded by Python) + explore_core.xor_continue
  function sigmoid(z) {                           // gdcore.losses._sigmoid
    const e = Math.exp(-Math.abs(z));
    return z >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
  }
  const ACT = {
    tanh: [Math.tanh, (z, a) => 1.0 - a * a],
    sigmoid: [sigmoid, (z, a) => a * (1.0 - a)],
    relu: [(z) => Math.max(z, 0.0), (z) => (z > 0 ? 1.0 : 0.0)],
  };
  function xorInit(cfg, H, act, seed) {
    const z = cfg.normals[seed];
    const s1 = act === "relu" ? Math.sqrt(2.0 / 2) : Math.sqrt(2.0 / (2 + H)), s2 = Math.sqrt(2.0 / (H + 1));
    const W1 = [new Float64Array(H), new Float64Array(H)], W2 = new Float64Array(H);
    for (let j = 0; j < H; j++) { W1[0][j] = s1 * z[j]; W1[1][j] = s1 * z[H + j]; W2[j] = s2 * z[2 * H + j]; }
    return { W1, b1: new Float64Array(H), W2, b2: 0.0 };
  }
  function xorForward(P, H, phi, x0, x1) {
    let z = 0;
    for (let j = 0; j < H; j++) z += phi((x0 * P.W1[0][j] + x1 * P.W1[1][j]) + P.b1[j]) * P.W2[j];
    return z + P.b2;
  }
  /** Continue a run (state {P, loss: []}) from its last snapshot up to `epochs` steps. */
  function xorExtend(cfg, state, H, act, lr, epochs) {
    const [phi, dphi] = ACT[act], X = cfg.X, y = cfg.y, n = 4;
    let P = state.P;
    const Z1 = [0, 1, 2, 3].map(() => new Float64Array(H)), A1 = Z1.map(() => new Float64Array(H));
    const z = new Float64Array(4), dz = new Float64Array(4);
    const lossOf = () => {
      let s = -0.0;
      for (let i = 0; i < n; i++) {
        const zi = z[i];
        s += (Math.max(zi, 0.0) - y[i] * zi) + Math.log1p(Math.exp(-Math.abs(zi)));
      }
      return s / n;
    };
    const forward = () => {
      for (let i = 0; i < n; i++) {
        let zi = 0;
        for (let j = 0; j < H; j++) {
          Z1[i][j] = (X[i][0] * P.W1[0][j] + X[i][1] * P.W1[1][j]) + P.b1[j];
          A1[i][j] = phi(Z1[i][j]);
          zi += A1[i][j] * P.W2[j];
        }
        z[i] = zi + P.b2;
      }
    };
    if (state.loss.length === 0) { forward(); state.loss.push(lossOf()); }
    else forward();
    while (state.loss.length <= epochs) {
      for (let i = 0; i < n; i++) dz[i] = (0.5 + 0.5 * Math.tanh(0.5 * z[i]) - y[i]) / n;
      const W1 = [new Float64Array(H), new Float64Array(H)], b1 = new Float64Array(H), W2 = new Float64Array(H);
      let gb2 = -0.0;
      for (let i = 0; i < n; i++) gb2 += dz[i];
      for (let j = 0; j < H; j++) {
        let gW2 = 0, g0 = 0, g1 = 0, gb1 = 0;
        for (let i = 0; i < n; i++) {
          gW2 += A1[i][j] * dz[i];
          const D = (dz[i] * P.W2[j]) * dphi(Z1[i][j], A1[i][j]);
          g0 += X[i][0] * D;
          g1 += X[i][1] * D;
          gb1 = i === 0 ? D : gb1 + D;
        }
        W1[0][j] = P.W1[0][j] - lr * g0;
        W1[1][j] = P.W1[1][j] - lr * g1;
        b1[j] = P.b1[j] - lr * gb1;
        W2[j] = P.W2[j] - lr * gW2;
      }
      P = { W1, b1, W2, b2: P.b2 - lr * gb2 };
      forward();
      state.loss.push(lossOf());
      state.snaps.push(P);
    }
    state.P = P;
    return state;
  }
  function xorModel(cfg, p, cache) {
    const H = p.hidden, act = p.activation;
    const state = memo(cache, `${H}|${act}|${p.lr}|${p.seed}`, () => {
      const P = xorInit(cfg, H, act, p.seed);
      return { P, snaps: [P], loss: [] };
    });
    xorExtend(cfg, state, H, act, p.lr, p.epochs);
    const P = state.snaps[p.epochs], [phi] = ACT[act];
    const g = cfg.grid, m = g.length, prob = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < m; j++) prob[i * m + j] = sigmoid(xorForward(P, H, phi, g[j], g[i]));
    }
    let right = 0;
    for (let i = 0; i < 4; i++) {
      right += (sigmoid(xorForward(P, H, phi, cfg.X[i][0], cfg.X[i][1])) > 0.5) === (cfg.y[i] === 1) ? 1 : 0;
    }
    return { loss: state.loss.slice(0, p.epochs + 1), prob, acc: right / 4, right };
  }
  function xorHeadline(p, r) {
    const ok = r.acc === 1.0 ? "learns XOR" : "fails";
    return `H = ${p.hidden}, ${p.activation}, η = ${pyfmt(p.lr, ".2g")}, seed ${p.seed}, ${p.epochs} epochs: ` +
      `${r.right}/4 correct, loss ${pyfmt(r.loss[r.loss.length - 1], ".3g")}  →  ${ok}`;
  }

  // preconditioning: gdcore.explore_core.precond_runs, which runs gdcore.second_order's preconditioned_gd,
  // gd_backtracking and newton(line_search=True) on precond_bowl (gd.data.quadratic, L = 1, turned by `angle`°)
  function preBowl(kappa, angle) {               // A = R diag(1, 1/kappa) R^T, symmetrised: {a, b, c} = [[a, b], [b, c]]
    const t = angle * (Math.PI / 180.0), c = Math.cos(t), s = Math.sin(t), L = 1.0, mu = L / kappa;
    const a01 = (c * L) * s + (-s * mu) * c, a10 = (s * L) * c + (c * mu) * -s;
    return { a: (c * L) * c + (-s * mu) * -s, b: 0.5 * (a01 + a10), c: (s * L) * s + (c * mu) * c };
  }
  function eig2(a, b, c) {                       // eigenvalues of the symmetric [[a, b], [b, c]]: [min, max]
    const hi = 0.5 * (a + c) + Math.hypot(0.5 * (a - c), b);
    return [(a * c - b * b) / hi, hi];
  }
  const norm2 = (gx, gy) => Math.sqrt(gx * gx + gy * gy);
  /** second_order.preconditioned_gd: x - lr * (P * g) with P a diagonal [p0, p1] or null (plain GD). */
  function precondGD(fun, x0, P, lr, steps, tol, divergeAt) {
    let x = x0[0], y = x0[1];
    let [f, gx, gy] = fun(x, y);
    const limit = divergeAt * Math.max(Math.abs(f), 1e-12);
    const path = [x, y], loss = [f];
    let converged = false, diverged = false, t = 1;
    for (; t <= steps; t++) {
      const norm = norm2(gx, gy);
      if (norm < tol || norm === 0.0) { converged = true; break; }
      const nx = x - lr * (P ? P[0] * gx : gx), ny = y - lr * (P ? P[1] * gy : gy);
      const [fn, gnx, gny] = fun(nx, ny);
      if (!(fn <= limit) || !Number.isFinite(gnx) || !Number.isFinite(gny)) { diverged = true; break; }
      x = nx; y = ny; f = fn; gx = gnx; gy = gny;
      path.push(x, y); loss.push(f);
    }
    if (t > steps) converged = norm2(gx, gy) < tol;
    return { path, loss, n_steps: loss.length - 1, converged, diverged };
  }
  /** second_order._run with a backtracking (Armijo) search from lr0 along `direction(x, y, gx, gy)`. */
  function searchRun(fun, x0, direction, steps, tol, lr0) {
    const c = 1e-4, shrink = 0.5, maxIter = 60;
    let x = x0[0], y = x0[1];
    let [f, gx, gy] = fun(x, y);
    const path = [x, y], loss = [f];
    let converged = false, t = 1;
    for (; t <= steps; t++) {
      const norm = norm2(gx, gy);
      if (norm < tol || norm === 0.0) { converged = true; break; }
      let [dx, dy] = direction(x, y, gx, gy);
      if (!(gx * dx + gy * dy < 0)) { dx = -gx; dy = -gy; }
      const slope = gx * dx + gy * dy;
      let lr = lr0, ok = false, nx, ny, fn, gnx, gny;
      for (let k = 1; k <= maxIter; k++) {
        nx = x + lr * dx; ny = y + lr * dy;
        [fn, gnx, gny] = fun(nx, ny);
        if (fn <= f + c * lr * slope) { ok = true; break; }
        lr *= shrink;
      }
      if (!ok) break;
      x = nx; y = ny; f = fn; gx = gnx; gy = gny;
      path.push(x, y); loss.push(f);
    }
    if (t > steps) converged = norm2(gx, gy) < tol;
    return { path, loss, n_steps: loss.length - 1, converged, diverged: false };
  }
  /** np.linalg.solve([[a, b], [b, c]], [r0, r1]) as LAPACK does it: LU with partial pivoting. */
  function solve2(a, b, c, r0, r1) {
    let m00 = a, m01 = b, m10 = b, m11 = c, v0 = r0, v1 = r1;
    if (Math.abs(m10) > Math.abs(m00)) { [m00, m01, m10, m11, v0, v1] = [m10, m11, m00, m01, v1, v0]; }
    const l = m10 / m00, u11 = m11 - l * m01;
    const x1 = (v1 - l * v0) / u11;
    return [(v0 - m01 * x1) / m00, x1];
  }
  function preModel(cfg, p, cache) {
    const bowl = memo(cache, `bowl|${p.kappa}|${p.angle}`, () => {
      const A = preBowl(p.kappa, p.angle);
      const fun = bowlFun({ A: [[A.a, A.b], [A.b, A.c]], x_star: [0.0, 0.0] });
      const g0 = fun(cfg.start[0], cfg.start[1]);
      const tol = cfg.tol * norm2(g0[1], g0[2]);
      const d0 = 1.0 / Math.sqrt(A.a), d1 = 1.0 / Math.sqrt(A.c);     // diag(A)^-1/2 A diag(A)^-1/2
      const J = { a: (d0 * A.a) * d0, b: 0.5 * ((d0 * A.b) * d1 + (d1 * A.b) * d0), c: (d1 * A.c) * d1 };
      const lamA = eig2(A.a, A.b, A.c), lamJ = eig2(J.a, J.b, J.c);
      return {
        A, fun, tol, lamA, lamJ, kappaJ: lamJ[1] / lamJ[0],
        armijo: searchRun(fun, cfg.start, (x, y, gx, gy) => [-gx, -gy], cfg.steps_max, tol, cfg.lr0),
        newton: searchRun(fun, cfg.start, (x, y, gx, gy) => solve2(A.a, A.b, A.c, -gx, -gy), cfg.steps_max, tol, 1.0),
      };
    });
    const fixed = memo(cache, `fixed|${p.kappa}|${p.angle}|${p.lr}`, () => ({
      gd: precondGD(bowl.fun, cfg.start, null, p.lr, cfg.steps_max, bowl.tol, cfg.diverge_at),
      jacobi: precondGD(bowl.fun, cfg.start, [1.0 / bowl.A.a, 1.0 / bowl.A.c], p.lr, cfg.steps_max, bowl.tol, cfg.diverge_at),
    }));
    const full = { GD: fixed.gd, "GD + Armijo": bowl.armijo, Jacobi: fixed.jacobi, Newton: bowl.newton };
    const runs = {}, k = p.steps;
    for (const m of cfg.methods) {
      const r = full[m];
      runs[m] = { path: r.path.slice(0, 2 * (k + 1)), loss: r.loss.slice(0, k + 1), n_steps: r.n_steps,
        converged: r.converged, diverged: r.diverged, last: r.loss[r.loss.length - 1] };
    }
    return { runs, kappa_jacobi: bowl.kappaJ, rho_gd: p.lr * bowl.lamA[1], rho_jacobi: p.lr * bowl.lamJ[1], A: bowl.A };
  }
  function preOutcome(cfg, m, run) {
    if (run.converged) return `${m} ${run.n_steps}`;
    if (run.diverged) return `${m} diverges`;
    return run.n_steps === cfg.steps_max ? `${m} > ${cfg.steps_max}` : `${m} stalls after ${run.n_steps}`;
  }
  function preHeadline(p, r, cfg) {
    return "steps until |∇f| < 10⁻⁶ |∇f(x₀)|:  " + cfg.methods.map((m) => preOutcome(cfg, m, r.runs[m])).join(" · ") + "\n" +
      `κ = ${pyfmt(p.kappa, ".4g")}, θ = ${p.angle}°: Jacobi's diag(A)⁻¹ leaves κ = ${pyfmt(r.kappa_jacobi, ".4g")}, ` +
      "Newton's A⁻¹ leaves none (PA = I)\n" +
      `η = ${pyfmt(p.lr, ".2f")}: η·λ_max(PA) = ${pyfmt(r.rho_gd, ".2f")} (GD), ${pyfmt(r.rho_jacobi, ".2f")} (Jacobi); stable iff < 2`;
  }

  function memo(cache, key, make) {
    if (!cache) return make();
    let v = cache.get(key);
    if (v === undefined) {
      v = make();
      cache.set(key, v);
      if (cache.size > 256) cache.delete(cache.keys().next().value);
    }
    return v;
  }

  // ------------------------------------------------------------------------------------------------
  // Views (D3): axes, scales, lines and contours come from the library.
  let uidCounter = 0;
  const uid = (s) => `gd-${s}-${++uidCounter}`;
  const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
  const pow10 = (v) => {
    const e = Math.round(Math.log10(v));
    return e === 0 ? "1" : "10" + String(e).split("").map((c) => SUP[c]).join("");
  };
  const decades = (lo, hi, every) => {
    const out = [];
    for (let e = Math.round(Math.log10(lo)); e <= Math.round(Math.log10(hi)); e += every) out.push(Math.pow(10, e));
    return out;
  };

  function panel(parent, o) {
    const W = o.width || 400, H = o.height || 320;
    const m = Object.assign({ top: 24, right: 14, bottom: 42, left: 60 }, o.margin || {});
    const iw = W - m.left - m.right, ih = H - m.top - m.bottom;
    const svg = d3.select(parent).append("svg").attr("class", "gd-panel " + (o.cls || ""))
      .attr("viewBox", `0 0 ${W} ${H}`).attr("role", "img").attr("aria-label", o.title || "");
    const x = (o.xlog ? d3.scaleLog() : d3.scaleLinear()).domain(o.x).range([0, iw]);
    const y = (o.ylog ? d3.scaleLog() : d3.scaleLinear()).domain(o.y).range([ih, 0]);
    const clip = uid("clip");
    svg.append("defs").append("clipPath").attr("id", clip).append("rect").attr("width", iw).attr("height", ih);
    const g = svg.append("g").attr("transform", `translate(${m.left},${m.top})`);
    const xa = d3.axisBottom(x).ticks(o.xticks || 5);
    const ya = o.ylog ? d3.axisLeft(y).tickValues(decades(o.y[0], o.y[1], o.yevery || 1)).tickFormat(pow10)
      : d3.axisLeft(y).ticks(o.yticks || 5);
    const xaxis = g.append("g").attr("class", "gd-axis").attr("transform", `translate(0,${ih})`).call(xa);
    g.append("g").attr("class", "gd-axis").call(ya);
    if (o.title) svg.append("text").attr("class", "gd-title").attr("x", m.left + iw / 2).attr("y", 15).text(o.title);
    if (o.xlabel) svg.append("text").attr("class", "gd-label").attr("x", m.left + iw / 2).attr("y", H - 6).text(o.xlabel);
    if (o.ylabel) {
      svg.append("text").attr("class", "gd-label").attr("transform", `translate(13,${m.top + ih / 2}) rotate(-90)`)
        .text(o.ylabel);
    }
    const plot = g.append("g").attr("clip-path", `url(#${clip})`);
    return { svg, plot, x, y, iw, ih, xaxis };
  }
  /** d3.geoPath for d3.contours output on an n x n grid spanning xl x yl (sample i sits at i + 0.5). */
  function gridPath(P, n, xl, yl) {
    const sx = (xl[1] - xl[0]) / (n - 1), sy = (yl[1] - yl[0]) / (n - 1);
    return d3.geoPath(d3.geoTransform({
      point(u, v) { this.stream.point(P.x(xl[0] + (u - 0.5) * sx), P.y(yl[0] + (v - 0.5) * sy)); },
    }));
  }
  function setAlt(P, text) { P.svg.attr("aria-label", text); }
  function legend(parent, items) {
    const ul = d3.select(parent).append("ul").attr("class", "gd-legend");
    const li = ul.selectAll("li").data(items).join("li");
    li.append("span").attr("class", "gd-swatch").attr("aria-hidden", "true")
      .style("border-top-color", (d) => d.color).style("border-top-style", (d) => d.dash ? "dashed" : "solid");
    li.append("span").text((d) => d.label);
  }
  const finitePts = (xs, ys, lim) => {
    const out = [];
    for (let i = 0; i < xs.length; i++) {
      const a = xs[i], b = ys[i];
      out.push([Number.isFinite(a) ? Math.max(-lim, Math.min(lim, a)) : NaN, Number.isFinite(b) ? Math.max(-lim, Math.min(lim, b)) : NaN]);
    }
    return out;
  };
  function lineOn(P, pts) {
    return d3.line().defined((d) => Number.isFinite(d[0]) && Number.isFinite(d[1]))
      .x((d) => P.x(d[0])).y((d) => P.y(d[1]))(pts);
  }
  function logLine(P, xs, ys, lo, hi) {
    const pts = [];
    for (let i = 0; i < ys.length; i++) pts.push([xs ? xs[i] : i, Math.min(hi, Math.max(lo, ys[i]))]);
    return lineOn(P, pts);
  }
  const sci = (v) => pyfmt(v, ".2e");

  // learning rate
  function lrView(el, cfg) {
    const pal = cfg.palette, lim = 3.0, n = 60;
    const row = el.append("div").attr("class", "gd-panels").node();
    const A = panel(row, { x: [-lim, lim], y: [-lim, lim], title: "path on the bowl", xlabel: "θ₁", ylabel: "θ₂",
      height: 360, width: 360, cls: "gd-square" });
    const B = panel(row, { x: [0, cfg.steps], y: [1e-10, 1e10], ylog: true, yevery: 5, title: "loss (log scale)",
      xlabel: "step", ylabel: "f(θ_k)", height: 360, width: 420 });
    const contours = A.plot.append("g").attr("class", "gd-contours");
    const path = A.plot.append("path").attr("class", "gd-line").attr("stroke", pal[0]).attr("stroke-width", 1.4);
    const dots = A.plot.append("g").attr("fill", pal[0]);
    const start = A.plot.append("rect").attr("width", 9).attr("height", 9).attr("fill", pal[1]);
    A.plot.append("path").attr("d", d3.symbol(d3.symbolStar, 120)()).attr("transform", `translate(${A.x(0)},${A.y(0)})`)
      .attr("fill", "#000");
    const loss = B.plot.append("path").attr("class", "gd-line").attr("stroke", pal[3]).attr("stroke-width", 1.6);
    legend(el.node(), [{ label: "GD path", color: pal[0] }, { label: "start", color: pal[1] }, { label: "minimum (★)", color: "#000" }]);
    let kappa = null;
    const grid = d3.range(n).map((i) => -lim + (2 * lim * i) / (n - 1));
    return {
      update(r, p) {
        if (p.kappa !== kappa) {
          kappa = p.kappa;
          const [[r00, r01], [r10, r11]] = cfg.R, vals = new Float64Array(n * n);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              const u = r00 * grid[j] + r10 * grid[i], v = r01 * grid[j] + r11 * grid[i];
              vals[i * n + j] = 0.5 * (cfg.L * u * u + r.mu * v * v);
            }
          }
          const levels = d3.range(12).map((i) => 1e-3 * Math.pow(d3.max(vals) / 1e-3, i / 11));
          const geo = gridPath(A, n, [-lim, lim], [-lim, lim]);
          contours.selectAll("path").data(d3.contours().size([n, n]).thresholds(levels)(vals)).join("path")
            .attr("d", geo).attr("class", "gd-contour");
        }
        const k = r.loss.length, xs = [], ys = [];
        for (let i = 0; i < k; i++) { xs.push(r.path[2 * i]); ys.push(r.path[2 * i + 1]); }
        const pts = finitePts(xs, ys, 1e6);
        path.attr("d", lineOn(A, pts));
        dots.selectAll("circle").data(pts.filter((d) => Math.abs(d[0]) <= lim * 1.2 && Math.abs(d[1]) <= lim * 1.2))
          .join("circle").attr("r", 2.2).attr("cx", (d) => A.x(d[0])).attr("cy", (d) => A.y(d[1]));
        start.attr("x", A.x(xs[0]) - 4.5).attr("y", A.y(ys[0]) - 4.5);
        loss.attr("d", logLine(B, null, r.loss, 1e-30, 1e30));
        const last = r.loss[k - 1];
        setAlt(A, `Gradient-descent path on the bowl with condition number ${pyfmt(p.kappa, ".3g")}, from ` +
          `(${pyfmt(xs[0], ".1f")}, ${pyfmt(ys[0], ".1f")}), ${k - 1} steps: it ${r.label === "converges" ? "creeps straight towards the minimum" : r.label === "oscillates" ? "zig-zags across the valley towards the minimum" : "flies off away from the minimum"}.`);
        setAlt(B, `Loss on a log scale over ${k - 1} steps: from ${sci(r.loss[0])} to ${sci(last)}; ${r.label}.`);
      },
    };
  }

  // batch size
  function bsView(el, cfg) {
    const pal = cfg.palette, n = cfg.y.length, T = n * cfg.epochs;
    const row = el.append("div").attr("class", "gd-panels").node();
    const A = panel(row, { x: [0, T], y: [1e-6, 10], ylog: true, title: "excess loss at equal compute",
      xlabel: "gradient evaluations (examples seen)", ylabel: "J(θ) − J(θ*)", width: 640, height: 340 });
    const spec = [["full", pal[0], 2.4], ["mini", pal[1], 1.4], ["sgd", pal[3], 0.9]];
    const lines = spec.map(([, c, w]) => A.plot.append("path").attr("class", "gd-line").attr("stroke", c).attr("stroke-width", w));
    legend(el.node(), [{ label: "full batch", color: pal[0] }, { label: "mini-batch (B from the slider)", color: pal[1] },
      { label: "per-sample SGD (B = 1)", color: pal[3] }]);
    return {
      update(r, p) {
        spec.forEach(([k], i) => lines[i].attr("d", logLine(A, r.runs[k].examples, r.runs[k].excess, 1e-30, 1e30)));
        setAlt(A, `Excess loss against examples seen, ${T} for each run, at η = ${pyfmt(p.lr, ".3g")}: mean over the ` +
          `last epoch ${pyfmt(r.last.full, ".1e")} for full batch, ${pyfmt(r.last.mini, ".1e")} for mini-batches of ` +
          `${p.batch_size}, ${pyfmt(r.last.sgd, ".1e")} for per-sample SGD.`);
      },
    };
  }

  // schedules
  function schView(el, cfg) {
    const pal = cfg.palette, T = cfg.T;
    const row = el.append("div").attr("class", "gd-panels").node();
    const A = panel(row, { x: [0, T], y: [0, 0.33], title: "learning rate", xlabel: "step", ylabel: "η_t",
      width: 360, height: 320 });
    const B = panel(row, { x: [0, T], y: [1e-7, 10], ylog: true, title: "per-sample SGD: excess loss",
      xlabel: "step", ylabel: "J(θ_t) − J(θ*)", width: 440, height: 320 });
    const lc = A.plot.append("path").attr("class", "gd-line").attr("stroke", pal[1]).attr("stroke-width", 1.5).attr("stroke-dasharray", "5 3");
    const ls = A.plot.append("path").attr("class", "gd-line").attr("stroke", pal[0]).attr("stroke-width", 2);
    const ec = B.plot.append("path").attr("class", "gd-line").attr("stroke", pal[1]).attr("stroke-width", 0.8).attr("opacity", 0.8);
    const es = B.plot.append("path").attr("class", "gd-line").attr("stroke", pal[0]).attr("stroke-width", 0.9);
    legend(el.node(), [{ label: "schedule", color: pal[0] }, { label: "constant η₀", color: pal[1], dash: true }]);
    const rate = (lrs) => lineOn(A, Array.from(lrs, (v, t) => [t, v]));
    return {
      update(r) {
        lc.attr("d", rate(r.const.lrs));
        ls.attr("d", rate(r.run.lrs));
        ec.attr("d", logLine(B, null, r.const.excess, 1e-9, 1e30));
        es.attr("d", logLine(B, null, r.run.excess, 1e-9, 1e30));
        const lrs = r.run.lrs;
        setAlt(A, `Learning rate of ${r.schedule} over ${T} steps: from ${pyfmt(lrs[0], ".3g")} to ${pyfmt(lrs[T - 1], ".3g")}.`);
        setAlt(B, `Excess loss of per-sample SGD: over the last 20% of steps ${pyfmt(r.run.final, ".1e")} ± ` +
          `${pyfmt(r.run.noise, ".1e")} under the schedule, ${pyfmt(r.const.final, ".1e")} ± ${pyfmt(r.const.noise, ".1e")} at the constant rate.`);
      },
    };
  }

  // momentum
  function momView(el, cfg) {
    const pal = cfg.palette, n = 70;
    const row = el.append("div").attr("class", "gd-panels gd-four").node();
    const lims = { bowl: [[-3, 3], [-3, 3]], rosenbrock: [[-2, 2], [-1, 3]] };
    const funs = { bowl: bowlFun(cfg), rosenbrock: rosenbrockFun(cfg) };
    const star = { bowl: cfg.x_star, rosenbrock: [cfg.a, cfg.a * cfg.a] };
    const paths = {}, losses = {}, P = {}, L = {};
    const names = { bowl: `bowl: κ = ${cfg.kappa}, λ_max = ${cfg.L}`, rosenbrock: "Rosenbrock" };
    for (const prob of ["bowl", "rosenbrock"]) {
      const [xl, yl] = lims[prob];
      P[prob] = panel(row, { x: xl, y: yl, title: names[prob], xlabel: "θ₁", ylabel: "θ₂", width: 300, height: 300,
        margin: { left: 44 }, cls: "gd-square" });
      const vals = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) vals[i * n + j] = funs[prob](xl[0] + ((xl[1] - xl[0]) * j) / (n - 1), yl[0] + ((yl[1] - yl[0]) * i) / (n - 1))[0];
      }
      const lo = Math.max(d3.min(vals), 1e-2), hi = d3.max(vals);
      const levels = d3.range(14).map((i) => lo * Math.pow(hi / lo, i / 13));
      const geo = gridPath(P[prob], n, xl, yl);
      P[prob].plot.append("g").selectAll("path").data(d3.contours().size([n, n]).thresholds(levels)(vals))
        .join("path").attr("class", "gd-contour").attr("d", geo);
      P[prob].plot.append("path").attr("d", d3.symbol(d3.symbolStar, 100)())
        .attr("transform", `translate(${P[prob].x(star[prob][0])},${P[prob].y(star[prob][1])})`).attr("fill", "#000");
      paths[prob] = {};
      cfg.methods.forEach((m, i) => {
        paths[prob][m] = P[prob].plot.append("path").attr("class", "gd-line").attr("stroke", pal[i]).attr("stroke-width", 1.3);
      });
    }
    for (const prob of ["bowl", "rosenbrock"]) {
      L[prob] = panel(row, { x: [0, cfg.steps], y: prob === "bowl" ? [1e-12, 1e10] : [1e-8, 1e10], ylog: true,
        yevery: prob === "bowl" ? 4 : 3, title: `loss on the ${prob}`, xlabel: "step", ylabel: "f", width: 300, height: 300,
        margin: { left: 50 } });
      losses[prob] = {};
      cfg.methods.forEach((m, i) => {
        losses[prob][m] = L[prob].plot.append("path").attr("class", "gd-line").attr("stroke", pal[i]).attr("stroke-width", 1.3);
      });
    }
    legend(el.node(), cfg.methods.map((m, i) => ({ label: m, color: pal[i] })));
    return {
      update(r) {
        for (const prob of ["bowl", "rosenbrock"]) {
          const parts = [], lparts = [];
          for (const m of cfg.methods) {
            const run = r[prob][m];
            paths[prob][m].attr("d", lineOn(P[prob], finitePts(run.px, run.py, 1e6)));
            losses[prob][m].attr("d", logLine(L[prob], null, run.loss, 1e-30, 1e30));
            const k = run.loss.length - 1;
            parts.push(run.diverged ? `${m} diverged after ${k} steps` : `${m} ends at (${pyfmt(run.px[k], ".2f")}, ${pyfmt(run.py[k], ".2f")})`);
            lparts.push(`${m} ${run.diverged ? "stopped (diverged) at" : "ends at"} ${sci(run.loss[k])}`);
          }
          setAlt(P[prob], `Paths on the ${prob} from (${cfg.starts[prob].join(", ")}): ${parts.join("; ")}.`);
          setAlt(L[prob], `Loss on the ${prob}, log scale: ${lparts.join("; ")}.`);
        }
      },
    };
  }

  // XOR
  function xorView(el, cfg) {
    const pal = cfg.palette, g = cfg.grid, m = g.length, lo = g[0], hi = g[m - 1];
    const row = el.append("div").attr("class", "gd-panels").node();
    const A = panel(row, { x: [lo, hi], y: [lo, hi], title: "P(y = 1) and the 0.5 boundary", xlabel: "x₁", ylabel: "x₂",
      width: 340, height: 340, cls: "gd-square" });
    const B = panel(row, { x: [0, 1000], y: [1e-4, 1.5], ylog: true, title: "training loss (cross-entropy)",
      xlabel: "epoch", ylabel: "loss", width: 420, height: 340 });
    const bands = A.plot.append("g");
    const boundary = A.plot.append("path").attr("fill", "none").attr("stroke", "#000").attr("stroke-width", 1.8);
    const thresholds = d3.range(0, 1.0, 0.05);
    const color = (t) => d3.interpolateCividis(t + 0.025);
    [[0, "circle", pal[0]], [1, "square", pal[1]]].forEach(([label, shape, c]) => {
      cfg.X.forEach((x, i) => {
        if (cfg.y[i] !== label) return;
        A.plot.append("path").attr("d", d3.symbol(shape === "circle" ? d3.symbolCircle : d3.symbolSquare, 110)())
          .attr("transform", `translate(${A.x(x[0])},${A.y(x[1])})`).attr("fill", c).attr("stroke", "#000");
      });
    });
    const loss = B.plot.append("path").attr("class", "gd-line").attr("stroke", pal[3]).attr("stroke-width", 1.6);
    legend(el.node(), [{ label: "y = 0 (circles)", color: pal[0] }, { label: "y = 1 (squares)", color: pal[1] },
      { label: "decision boundary P = 0.5", color: "#000" }]);
    const geo = gridPath(A, m, [lo, hi], [lo, hi]);
    return {
      update(r, p) {
        bands.selectAll("path").data(d3.contours().size([m, m]).thresholds(thresholds)(r.prob)).join("path")
          .attr("d", geo).attr("fill", (d) => color(d.value));
        boundary.attr("d", geo(d3.contours().size([m, m]).thresholds([0.5])(r.prob)[0]));
        loss.attr("d", logLine(B, null, r.loss, 1e-4, 1e30));
        setAlt(A, `Probability of class 1 over the plane for H = ${p.hidden} (${p.activation}): ${r.right} of the 4 ` +
          `XOR points on the right side of the 0.5 boundary; ${r.acc === 1 ? "it learns XOR" : "it fails"}.`);
        setAlt(B, `Training loss over ${p.epochs} epochs: from ${pyfmt(r.loss[0], ".3g")} to ${pyfmt(r.loss[r.loss.length - 1], ".3g")}.`);
      },
    };
  }

  // preconditioning
  function preView(el, cfg) {
    const pal = cfg.palette, lim = 3.0, n = 60;
    const row = el.append("div").attr("class", "gd-panels").node();
    const A = panel(row, { x: [-lim, lim], y: [-lim, lim], title: "paths on the bowl", xlabel: "θ₁", ylabel: "θ₂",
      height: 360, width: 360, cls: "gd-square" });
    const B = panel(row, { x: [0, 100], y: [1e-16, 1e8], ylog: true, yevery: 4, title: "loss (log scale)",
      xlabel: "step", ylabel: "f(θ_k)", height: 360, width: 420 });
    const contours = A.plot.append("g").attr("class", "gd-contours");
    const dash = { GD: null, "GD + Armijo": "6 3", Jacobi: "2 2", Newton: null };
    const paths = {}, losses = {};
    cfg.methods.forEach((m, i) => {
      paths[m] = A.plot.append("path").attr("class", "gd-line").attr("stroke", pal[i]).attr("stroke-width", 1.5)
        .attr("stroke-dasharray", dash[m]);
      losses[m] = B.plot.append("path").attr("class", "gd-line").attr("stroke", pal[i]).attr("stroke-width", 1.6)
        .attr("stroke-dasharray", dash[m]);
    });
    A.plot.append("rect").attr("width", 9).attr("height", 9).attr("fill", "#000")
      .attr("x", A.x(cfg.start[0]) - 4.5).attr("y", A.y(cfg.start[1]) - 4.5);
    A.plot.append("path").attr("d", d3.symbol(d3.symbolStar, 120)()).attr("transform", `translate(${A.x(0)},${A.y(0)})`)
      .attr("fill", "#000");
    legend(el.node(), cfg.methods.map((m, i) => ({ label: { Jacobi: "Jacobi: P = diag(A)⁻¹", Newton: "Newton: P = A⁻¹" }[m] || m,
      color: pal[i], dash: dash[m] !== null })).concat([{ label: "start ■, minimum ★", color: "#000" }]));
    let shape = null;
    const grid = d3.range(n).map((i) => -lim + (2 * lim * i) / (n - 1));
    const status = (run) => (run.converged ? `converges in ${run.n_steps} step${run.n_steps === 1 ? "" : "s"}`
      : run.diverged ? `diverges after ${run.n_steps} steps` : `has not converged after ${run.n_steps} steps`);
    return {
      update(r, p) {
        if (shape !== `${p.kappa}|${p.angle}`) {
          shape = `${p.kappa}|${p.angle}`;
          const { a, b, c } = r.A, vals = new Float64Array(n * n);
          for (let i = 0; i < n; i++) {
            for (let j = 0; j < n; j++) {
              const u = grid[j], v = grid[i];
              vals[i * n + j] = 0.5 * (u * (a * u + b * v) + v * (b * u + c * v));
            }
          }
          const levels = d3.range(12).map((i) => 1e-3 * Math.pow(d3.max(vals) / 1e-3, i / 11));
          contours.selectAll("path").data(d3.contours().size([n, n]).thresholds(levels)(vals)).join("path")
            .attr("d", gridPath(A, n, [-lim, lim], [-lim, lim])).attr("class", "gd-contour");
        }
        B.x.domain([0, p.steps]);
        B.xaxis.call(d3.axisBottom(B.x).ticks(5));
        const parts = [], lparts = [];
        for (const m of cfg.methods) {
          const run = r.runs[m], k = run.loss.length - 1, xs = [], ys = [];
          for (let i = 0; i <= k; i++) { xs.push(run.path[2 * i]); ys.push(run.path[2 * i + 1]); }
          paths[m].attr("d", lineOn(A, finitePts(xs, ys, 1e6)));
          losses[m].attr("d", logLine(B, null, run.loss, 1e-16, 1e30));
          parts.push(`${m} ${status(run)} (after ${k} shown: (${pyfmt(xs[k], ".2f")}, ${pyfmt(ys[k], ".2f")}))`);
          lparts.push(`${m} from ${sci(run.loss[0])} to ${sci(run.loss[k])}`);
        }
        setAlt(A, `Paths of the first ${p.steps} steps on a bowl with condition number ${pyfmt(p.kappa, ".4g")} turned by ` +
          `${p.angle}°, from (${cfg.start.join(", ")}) to the minimum at 0: ${parts.join("; ")}.`);
        setAlt(B, `Loss on a log scale over the first ${p.steps} steps at η = ${pyfmt(p.lr, ".2f")}: ${lparts.join("; ")}; ` +
          `Jacobi leaves condition number ${pyfmt(r.kappa_jacobi, ".4g")}.`);
      },
    };
  }

  const EXPLORERS = {
    learning_rate: { model: lrModel, headline: lrHeadline, view: lrView },
    batch_size: { model: bsModel, headline: bsHeadline, view: bsView },
    schedules: { model: schModel, headline: schHeadline, view: schView },
    momentum: { model: momModel, headline: momHeadline, view: momView },
    xor: { model: xorModel, headline: xorHeadline, view: xorView },
    preconditioning: { model: preModel, headline: preHeadline, view: preView },
  };

  // ------------------------------------------------------------------------------------------------
  // Controls: a labelled native range input (keyboard: arrows, Page Up/Down, Home/End) per slider.
  function decimals(step) {
    const s = pyrepr(step);
    return s.includes("e-") ? parseInt(s.split("e-")[1], 10) : (s.split(".")[1] || "").replace(/^0$/, "").length;
  }
  /** The value of slider `spec` at index i: min + i*step rounded to the step's decimals (log: base**that). */
  function sliderValue(spec, i) {
    if (spec.kind === "int") return spec.min + i * spec.step;
    const e = Number((spec.min + i * spec.step).toFixed(decimals(spec.step)));
    return spec.kind === "log" ? Math.pow(spec.base, e) : e;
  }
  function sliderCount(spec) { return Math.round((spec.max - spec.min) / spec.step); }
  function sliderIndex(spec, value) {
    const v = spec.kind === "log" ? Math.log(value) / Math.log(spec.base) : value;
    return Math.max(0, Math.min(sliderCount(spec), Math.round((v - spec.min) / spec.step)));
  }

  /** Build explorer `cfg.name` into `el` with slider values `params`; returns a handle. */
  function mount(el, cfg, params, hooks) {
    hooks = hooks || {};
    const ex = EXPLORERS[cfg.name];
    const state = Object.assign({}, params);
    const cache = new Map();
    const root = d3.select(el).classed("gd-explorer-live", true);
    root.selectAll("*").remove();
    const form = root.append("div").attr("class", "gd-controls").attr("role", "group")
      .attr("aria-label", `${cfg.title} controls`);
    const headline = root.append("p").attr("class", "gd-headline").attr("aria-live", "polite");
    const figure = root.append("div").attr("class", "gd-figure");
    const view = ex.view(figure, cfg);
    const inputs = {};
    for (const spec of cfg.controls) {
      const id = uid(spec.name);
      const box = form.append("div").attr("class", "gd-control").attr("data-control", spec.name);
      const lab = box.append("label").attr("for", id);
      lab.append("span").attr("class", "gd-control-name").text(spec.label);
      if (spec.kind === "select") {
        // data-lm-suppress-shortcuts: in JupyterLab the keys go to the control, not to the notebook's shortcuts
        const sel = box.append("select").attr("id", id).attr("data-lm-suppress-shortcuts", "true");
        sel.selectAll("option").data(spec.options).join("option").attr("value", (d) => d).text((d) => d);
        sel.property("value", state[spec.name]);
        sel.on("change", function () { state[spec.name] = this.value; refresh(); });
        inputs[spec.name] = { spec, node: sel.node() };
      } else {
        const out = lab.append("output").attr("class", "gd-readout").attr("for", id);
        const inp = box.append("input").attr("type", "range").attr("id", id).attr("min", 0)
          .attr("max", sliderCount(spec)).attr("step", 1).attr("data-lm-suppress-shortcuts", "true");
        inp.property("value", sliderIndex(spec, state[spec.name]));
        const show = () => {
          const txt = pyfmt(state[spec.name], spec.format || "");
          out.text(txt);
          inp.attr("aria-valuetext", `${spec.label} ${txt}`);
        };
        inp.on("input", function () { state[spec.name] = sliderValue(spec, +this.value); show(); refresh(); });
        show();
        inputs[spec.name] = { spec, node: inp.node(), show };
      }
    }
    const times = [];
    function refresh() {
      const t0 = performance.now();
      for (const { spec, node } of Object.values(inputs)) {
        if (spec.only) node.parentNode.hidden = !spec.only.includes(state.name);
      }
      const result = ex.model(cfg, state, cache);
      view.update(result, state);
      const text = ex.headline(state, result, cfg);
      headline.text(text);
      handle.result = result;
      handle.headline = text;
      times.push(performance.now() - t0);
      if (hooks.onChange) hooks.onChange(Object.assign({}, state), text);
    }
    const handle = {
      root: el, cfg, state, times, refresh, result: null, headline: "",
      /** Set slider values (from Python, or a test) and redraw. */
      set(values) {
        Object.assign(state, values);
        for (const [k, v] of Object.entries(values)) {
          const it = inputs[k];
          if (!it) continue;
          if (it.spec.kind === "select") it.node.value = v;
          else { it.node.value = sliderIndex(it.spec, v); it.show(); }
        }
        refresh();
      },
    };
    refresh();
    el.gdExplorer = handle;
    return handle;
  }

  /** Mount every <div class="gd-explorer"> under `doc` that holds a JSON config. */
  function mountAll(doc) {
    const out = [];
    doc.querySelectorAll(".gd-explorer").forEach((el) => {
      if (el.gdExplorer) return;
      const script = el.querySelector("script.gd-explorer-config");
      if (!script) return;
      const { config, params } = JSON.parse(script.textContent);
      const host = document.createElement("div");
      el.replaceChildren(script, host);
      out.push(mount(host, config, params));
      el.gdExplorer = host.gdExplorer;
    });
    return out;
  }

  /** The numbers explorer `name` draws for `params` (typed arrays as plain arrays), and its headline. */
  function compute(cfg, params) {
    const ex = EXPLORERS[cfg.name];
    const r = ex.model(cfg, params, null);
    const plain = (v) => (ArrayBuffer.isView(v) ? Array.from(v) : Array.isArray(v) ? v.map(plain)
      : v && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, w]) => [k, plain(w)])) : v);
    return { result: plain(r), headline: ex.headline(params, r, cfg) };
  }

  /** Move every visible control of a mounted explorer through up to `points` values, one update per
   * animation frame as a person's drags arrive; return each update's time in ms (recompute, redraw,
   * style and layout: from the input event to the laid-out page). */
  async function benchmark(handle, points) {
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => resolve()));
    const times = [];
    const els = handle.root.querySelectorAll(".gd-control input[type=range], .gd-control select");
    for (const node of els) {
      if (node.parentNode.hidden) continue;
      const n = node.tagName === "SELECT" ? node.options.length - 1 : +node.max;
      const start = node.tagName === "SELECT" ? node.selectedIndex : +node.value;
      const k = Math.min(points, n + 1);
      for (let s = 0; s < k; s++) {
        const i = Math.round((s * n) / Math.max(1, k - 1));
        await frame();
        const t0 = performance.now();
        if (node.tagName === "SELECT") { node.selectedIndex = i; node.dispatchEvent(new Event("change")); }
        else { node.value = String(i); node.dispatchEvent(new Event("input")); }
        void handle.root.getBoundingClientRect().height;            // force style + layout now
        times.push(performance.now() - t0);
      }
      if (node.tagName === "SELECT") { node.selectedIndex = start; node.dispatchEvent(new Event("change")); }
      else { node.value = String(start); node.dispatchEvent(new Event("input")); }
    }
    return times;
  }

  return { pyfmt, pyrepr, sliderValue, sliderCount, mount, mountAll, compute, benchmark, EXPLORERS };
});
