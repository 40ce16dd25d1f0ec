// Number and time formatting shared by the views.
const money = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** cents → "1,234.56" */
export function cents(value) {
  return money.format(value / 100);
}

export function integer(value) {
  return whole.format(value);
}

/** Signed with an explicit "+" so a position's direction reads at a glance. */
export function signedCents(value) {
  return (value > 0 ? "+" : "") + cents(value);
}

export function signedInteger(value) {
  return (value > 0 ? "+" : "") + integer(value);
}

/** ms → "0.84 ms" / "12.3 ms" / "1.20 s" */
export function duration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms >= 1000) return (ms / 1000).toFixed(2) + " s";
  if (ms >= 10) return ms.toFixed(1) + " ms";
  return ms.toFixed(2) + " ms";
}

/** epoch ms → "14:03:07.123" (local time) */
export function clock(epochMs) {
  const d = new Date(epochMs);
  const pad = (n, w = 2) => String(n).padStart(w, "0");
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}
