const HEX = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;

/** The default primary colour when the tenant's is missing or not a plain hex colour. */
export const DEFAULT_PRIMARY = '#2563eb';

/** The surfaces brand-coloured text sits on (widget.css: the assistant bubble, light and dark). */
export const LIGHT_SURFACE = '#ffffff';
export const DARK_SURFACE = '#242831';

/**
 * The tenant's primary colour as `#rrggbb`, or the default. Only hex colours are accepted: the value
 * ends up in CSS, and a free-form string could carry other declarations.
 */
export function normalizeColor(value: unknown): string {
  if (typeof value !== 'string' || !HEX.test(value.trim())) return DEFAULT_PRIMARY;
  const hex = value.trim().slice(1).toLowerCase();
  return hex.length === 3 ? `#${[...hex].map((c) => c + c).join('')}` : `#${hex}`;
}

function channels(color: string): [number, number, number] {
  const hex = normalizeColor(color).slice(1);
  return [0, 2, 4].map((offset) => Number.parseInt(hex.slice(offset, offset + 2), 16)) as [number, number, number];
}

/** WCAG relative luminance. */
export function luminance(color: string): number {
  const [r, g, b] = channels(color).map((value) => {
    const unit = value / 255;
    return unit <= 0.03928 ? unit / 12.92 : ((unit + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours (1 to 21). */
export function contrastRatio(a: string, b: string): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

/** Black or white, whichever reads better on `color`. */
export function textColorOn(color: string): '#ffffff' | '#111827' {
  return contrastRatio('#ffffff', color) >= contrastRatio('#111827', color) ? '#ffffff' : '#111827';
}

/**
 * The primary colour as text (links, focus rings) on `surface`: the colour itself when it already
 * has 4.5:1 contrast there (WCAG AA for text), otherwise mixed step by step towards black (on a light
 * surface) or white (on a dark one) until it does. A tenant's pale yellow brand still gives readable links.
 */
export function readableOn(color: string, surface: string): string {
  const base = channels(color);
  const toward = luminance(surface) > 0.5 ? 0 : 255;
  for (let step = 0; step <= 20; step += 1) {
    const mixed = `#${base.map((value) => Math.round(value + ((toward - value) * step) / 20).toString(16).padStart(2, '0')).join('')}`;
    if (contrastRatio(mixed, surface) >= 4.5) return mixed;
  }
  return toward === 0 ? '#000000' : '#ffffff';
}
