import type { WidgetConfig } from '@miptech/protocol';
import { normalizeColor } from './brand-color.ts';
import { requestJson } from './request-json.ts';

/** The tenant's look and words, with defaults filled in and untrusted values checked. */
export interface ResolvedWidgetConfig {
  assistantName: string | null;
  greeting: string | null;
  primaryColor: string;
  position: 'bottom-right' | 'bottom-left';
  language: string | null;
  anonymousWidget: boolean;
}

export const DEFAULT_WIDGET_CONFIG: ResolvedWidgetConfig = {
  assistantName: null,
  greeting: null,
  primaryColor: normalizeColor(null),
  position: 'bottom-right',
  language: null,
  anonymousWidget: false,
};

/**
 * Loads `GET /api/v1/chat/config`. A failure is not fatal: the widget still opens with the default
 * look, and the connection attempt reports what is wrong.
 */
export async function loadWidgetConfig(apiUrl: string, tenantId: string, doFetch?: typeof fetch): Promise<ResolvedWidgetConfig> {
  try {
    const config = await requestJson<Partial<WidgetConfig>>(
      `${apiUrl}/api/v1/chat/config?tenant_id=${encodeURIComponent(tenantId)}`,
      { fetch: doFetch, timeoutMs: 5000 },
    );
    return resolveWidgetConfig(config);
  } catch {
    return DEFAULT_WIDGET_CONFIG;
  }
}

export function resolveWidgetConfig(config: Partial<WidgetConfig> | null | undefined): ResolvedWidgetConfig {
  const text = (value: unknown, max: number): string | null =>
    typeof value === 'string' && value.trim() !== '' ? value.trim().slice(0, max) : null;
  return {
    assistantName: text(config?.assistant_name, 80),
    greeting: text(config?.greeting, 1000),
    primaryColor: normalizeColor(config?.primary_color),
    position: config?.position === 'bottom-left' ? 'bottom-left' : 'bottom-right',
    language: text(config?.language, 20),
    anonymousWidget: config?.anonymous_widget === true,
  };
}
