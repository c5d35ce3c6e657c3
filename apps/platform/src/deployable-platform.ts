/**
 * The platform as it is deployed: the @miptech/server library plus what a website needs from the
 * same origin — the widget's script and the browser client (@miptech/widget), and the demo pages
 * (demo/). The server library does not know the widget; this composition is the one place where the
 * two meet.
 */
import { AppError, createPlatform, type Platform, type PlatformConfig, type PlatformOverrides } from '@miptech/server';
import type { FastifyPluginAsync } from 'fastify';
import widgetAssetsRoutes from './widget-assets-routes.ts';

type PlatformPlugin = NonNullable<PlatformOverrides['plugins']>[number];
type PluginServices = PlatformPlugin extends FastifyPluginAsync<infer S> ? S : never;

/** Serves /widget.js, /sdk/client.js, /demo-react.js, / and /demo/react for the configured default tenant. */
export const widgetAssetsPlugin: PlatformPlugin = async (app, services: PluginServices) => {
  await app.register(widgetAssetsRoutes, {
    async getDefaultTenant() {
      const tenant = await services.tenants.get(services.config.defaultTenantId);
      if (!tenant) throw new AppError('tenant_not_found');
      return { id: tenant.id, publishableKey: tenant.publishableKey };
    },
  });
};

/** createPlatform with the widget assets and demo pages added after any plugins the caller passes. */
export function createDeployablePlatform(config: PlatformConfig, overrides: PlatformOverrides = {}): Promise<Platform> {
  return createPlatform(config, { ...overrides, plugins: [...(overrides.plugins ?? []), widgetAssetsPlugin] });
}
