#!/usr/bin/env node
// The `closer` command. Closer runs its TypeScript sources directly through
// tsx's loader: no build step stands between a clone and a running product.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
