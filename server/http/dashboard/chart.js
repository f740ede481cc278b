// A line chart of the total rate in and out (events/s), drawn on a canvas.
// Samples live in page memory only; a reload starts an empty chart.

import { fmtRate } from './format.js';

const GAP_MS = 7000; // samples further apart than this are not joined

export class RateChart {
  constructor(canvas, { windowMs = 5 * 60 * 1000 } = {}) {
    this.canvas = canvas;
    this.windowMs = windowMs;
    this.samples = []; // {t, in, out}, oldest first
    const redraw = () => this.draw();
    if (typeof ResizeObserver === 'function') new ResizeObserver(redraw).observe(canvas);
    window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', redraw);
  }

  add(t, rateIn, rateOut) {
    this.samples.push({ t, in: rateIn, out: rateOut });
    const oldest = t - this.windowMs;
    while (this.samples.length && this.samples[0].t < oldest) this.samples.shift();
    this.canvas.dataset.samples = String(this.samples.length);
    this.canvas.dataset.peakIn = String(Math.max(0, ...this.samples.map((s) => s.in)));
    this.canvas.dataset.peakOut = String(Math.max(0, ...this.samples.map((s) => s.out)));
    this.draw();
  }

  clear() {
    this.samples = [];
    this.canvas.dataset.samples = '0';
    this.canvas.dataset.peakIn = '0';
    this.canvas.dataset.peakOut = '0';
    this.draw();
  }

  draw() {
    const canvas = this.canvas;
    const cssW = canvas.clientWidth;
    const cssH = canvas.clientHeight;
    if (!cssW || !cssH) return;
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);

    const style = getComputedStyle(canvas);
    const color = (name, fallback) => style.getPropertyValue(name).trim() || fallback;
    const colIn = color('--chart-in', '#2563eb');
    const colOut = color('--chart-out', '#059669');
    const colGrid = color('--chart-grid', '#e5e7eb');
    const colText = color('--chart-text', '#6b7280');
    ctx.font = `11px ${style.fontFamily}`;

    const pad = { left: 52, right: 12, top: 10, bottom: 22 };
    const w = cssW - pad.left - pad.right;
    const hgt = cssH - pad.top - pad.bottom;
    const now = this.samples.length ? Math.max(Date.now(), this.samples.at(-1).t) : Date.now();
    const t0 = now - this.windowMs;
    const x = (t) => pad.left + ((t - t0) / this.windowMs) * w;

    const peak = Math.max(0, ...this.samples.map((s) => Math.max(s.in, s.out)));
    const top = niceCeil(peak * 1.15);
    const y = (v) => pad.top + hgt - (v / top) * hgt;

    // Grid and labels.
    ctx.lineWidth = 1;
    ctx.strokeStyle = colGrid;
    ctx.fillStyle = colText;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const steps = 4;
    for (let i = 0; i <= steps; i++) {
      const v = (top / steps) * i;
      const yy = Math.round(y(v)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(pad.left, yy);
      ctx.lineTo(pad.left + w, yy);
      ctx.stroke();
      ctx.fillText(`${fmtRate(v)}/s`, pad.left - 6, yy);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    const minutes = Math.round(this.windowMs / 60000);
    for (let m = minutes; m >= 0; m--) {
      const xx = x(now - m * 60000);
      ctx.fillText(m === 0 ? 'now' : `\u2212${m} min`, Math.min(Math.max(xx, pad.left + 18), pad.left + w - 12), pad.top + hgt + 6);
    }

    if (this.samples.length === 0) {
      ctx.textBaseline = 'middle';
      ctx.fillText('collecting samples\u2026', pad.left + w / 2, pad.top + hgt / 2);
      return;
    }
    this.#series(ctx, x, y, 'in', colIn, true, []);
    this.#series(ctx, x, y, 'out', colOut, false, [6, 4]); // dashed: visible on top of "in"
  }

  #series(ctx, x, y, field, col, filled, dash) {
    const runs = [];
    let run = [];
    for (const s of this.samples) {
      if (run.length && s.t - run.at(-1).t > GAP_MS) {
        runs.push(run);
        run = [];
      }
      run.push(s);
    }
    if (run.length) runs.push(run);
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    ctx.strokeStyle = col;
    ctx.fillStyle = col;
    for (const r of runs) {
      if (r.length === 1) {
        ctx.beginPath();
        ctx.arc(x(r[0].t), y(r[0][field]), 2, 0, Math.PI * 2);
        ctx.fill();
        continue;
      }
      ctx.beginPath();
      r.forEach((s, i) => (i ? ctx.lineTo(x(s.t), y(s[field])) : ctx.moveTo(x(s.t), y(s[field]))));
      ctx.setLineDash(dash);
      ctx.stroke();
      ctx.setLineDash([]);
      if (filled) {
        ctx.lineTo(x(r.at(-1).t), y(0));
        ctx.lineTo(x(r[0].t), y(0));
        ctx.closePath();
        ctx.globalAlpha = 0.1;
        ctx.fill();
        ctx.globalAlpha = 1;
      }
    }
  }
}

// The smallest of 1, 2, 2.5, 5 x 10^n at or above v (at least 1).
function niceCeil(v) {
  if (!(v > 1)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}
