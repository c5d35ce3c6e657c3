import type { TenantSettings } from './store.ts';

/** Settings of a tenant created without any; stored settings are merged over these when read. */
export function defaultTenantSettings(): TenantSettings {
  return {
    allowedOrigins: [],
    anonymousWidget: false,
    assistantName: 'MIPTech Assistant',
    greeting: 'Hi! I am the MIPTech Assistant. How can I help you today?',
    primaryColor: '#2563eb',
    position: 'bottom-right',
    language: 'en',
    rateLimits: { messagesPerMinute: 30, requestsPerMinute: 120, chatsPerHour: 60 },
    llm: {},
    retentionDays: null,
    visitorDailyTokenBudget: null,
    tenantDailyTokenBudget: null,
    maxConcurrentModelCalls: null,
  };
}

/**
 * `base` with `patch` applied; the nested groups (rate limits, LLM) merge key by key, so a patch
 * of one limit keeps the others.
 */
export function mergeTenantSettings(base: TenantSettings, patch: Partial<TenantSettings>): TenantSettings {
  const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<TenantSettings>;
  return {
    ...base,
    ...defined,
    rateLimits: { ...base.rateLimits, ...defined.rateLimits },
    llm: { ...base.llm, ...defined.llm },
  };
}
