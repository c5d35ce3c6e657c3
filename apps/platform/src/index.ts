/** Public API of @miptech/platform: the deployable process (server library + widget assets + demo pages). */
export { createDeployablePlatform, widgetAssetsPlugin } from './deployable-platform.ts';
export { main, reportStartFailure, startFromEnv, type RunningPlatform } from './start-platform.ts';
export { formatNextSteps, nextSteps, type NextSteps } from './next-steps.ts';
