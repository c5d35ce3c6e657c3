const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** The default primary colour when the tenant's is missing or not a plain hex colour. */
export const DEFAULT_PRIMARY = '#2563eb';

/**
 * The tenant's primary colour as `#rrggbb`, or the default. Only hex colours are accepted: the value
 * ends up in CSS, and a free-form string could carry other declarations.
 */
export function normalizeColor(value: unknown): string {
  if (typeof value !== 'string' || !HEX.test(value.trim())) return DEFAULT_PRIMARY;
  const hex = value.trim().slice(1).toLowerCase();
  return hex.length === 3 ? `#${[...hex].map((c) => c + c).join('')}` : `#${hex}`;
}

/** Black or white, whichever reads better on `color` (WCAG relative luminance). */
export function textColorOn(color: string): '#ffffff' | '#111827' {
  const hex = normalizeColor(color).slice(1);
  const channel = (offset: number): number => {
    const value = Number.parseInt(hex.slice(offset, offset + 2), 16) / 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const luminance = 0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4);
  // Contrast with white = 1.05 / (L + .05); with near-black ≈ (L + .05) / .0625. Pick the larger.
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0625 ? '#ffffff' : '#111827';
}
