// Small statistics over plain arrays of numbers.

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** The middle value, or the mean of the two middle values. */
export function median(values) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `{ median, samples }` for each key of `byKey` (arrays of per-round values). */
export function summarize(byKey) {
  return Object.fromEntries(
    Object.entries(byKey).map(([key, samples]) => [key, { median: median(samples), samples }]),
  );
}

export const round = (value, digits = 3) =>
  Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
