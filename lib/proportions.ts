// Two proportions compared, as an A/B test's report needs them: a rate with its
// 95% interval (Wilson's score interval: sound near 0 and 1, where a rate of
// errors lives) and a two-sided test of the difference between two rates (the
// pooled two-proportion z-test). Pure.

export interface Rate {
  successes: number;
  trials: number;
  /** successes / trials; 0 when there are no trials */
  rate: number;
  /** the 95% interval of the rate */
  low: number;
  high: number;
}

/** z for a two-sided 95% interval */
const z95 = 1.959964;

export function rateOf(successes: number, trials: number): Rate {
  if (trials <= 0) return { successes, trials: 0, rate: 0, low: 0, high: 0 };
  const p = successes / trials;
  const z2 = z95 * z95;
  const center = (p + z2 / (2 * trials)) / (1 + z2 / trials);
  const half = (z95 * Math.sqrt((p * (1 - p)) / trials + z2 / (4 * trials * trials))) / (1 + z2 / trials);
  return { successes, trials, rate: p, low: Math.max(0, center - half), high: Math.min(1, center + half) };
}

export interface Difference {
  /** b's rate minus a's */
  difference: number;
  z: number;
  /** two-sided p-value; 1 when the rates cannot differ (no trials, or both 0 or both 1) */
  p: number;
}

/** Whether b's rate differs from a's: the pooled two-proportion z-test, two-sided. */
export function compareRates(a: Rate, b: Rate): Difference {
  const difference = b.rate - a.rate;
  if (a.trials === 0 || b.trials === 0) return { difference, z: 0, p: 1 };
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const spread = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (spread === 0) return { difference, z: 0, p: 1 };
  const z = difference / spread;
  return { difference, z, p: Math.min(1, 2 * upperTail(Math.abs(z))) };
}

/**
 * P(Z > z) of the standard normal, through erfc: Numerical Recipes' erfcc
 * (Chebyshev fit, fractional error below 1.2e-7 everywhere), so that a small
 * p-value keeps its size rather than rounding to 0.
 */
export function upperTail(z: number): number {
  const x = z / Math.SQRT2;
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const erfc =
    t *
    Math.exp(
      -x * x -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return (x >= 0 ? erfc : 2 - erfc) / 2;
}
