// GitHub's number-to-string format; owns nothing else.

/**
 * GitHub formats numbers with .NET's "G15" (ExpressionConstants.NumberFormat in actions/runner): 15 significant
 * digits, exponential when the exponent is below -4 or above 14. JavaScript has no such format and no library offers it, hence by hand.
 */
export function formatNumber(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "Infinity";
  if (n === -Infinity) return "-Infinity";
  if (n === 0) return "0";
  const [mantissa = "", exponentText = "0"] = n.toExponential(14).split("e");
  const exponent = Number(exponentText);
  if (exponent > -5 && exponent < 15) return trimFraction(n.toPrecision(15));
  const sign = exponent < 0 ? "-" : "+";
  return `${trimFraction(mantissa)}E${sign}${String(Math.abs(exponent)).padStart(2, "0")}`;
}

function trimFraction(digits: string): string {
  return digits.includes(".") ? digits.replace(/\.?0+$/, "") : digits;
}
