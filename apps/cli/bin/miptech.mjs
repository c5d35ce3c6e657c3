#!/usr/bin/env node
// The `miptech` command. The CLI is TypeScript run through tsx (no build step): register tsx's
// ESM loader, then load the real entry point.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/main.ts');
process.exitCode = await runCli(process.argv.slice(2));
